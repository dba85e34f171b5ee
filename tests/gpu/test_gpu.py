"""GPU readiness (marked gpu: skipped unless --run-gpu and a CUDA device is present).

Run by benchmarks/gpu_check.sh. Comparisons with the CPU switch TF32 off and cuDNN to
deterministic algorithms (`exact_cuda`): by default Hopper GPUs run float32 convolutions
in TF32 (about 3 decimal digits), which moves the gradients by ~1e-4.
"""

import copy
import json
import socket

import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def batch(pairs=4, size=32, device="cpu"):
    generator = torch.Generator().manual_seed(1)
    values = {
        "image": torch.rand(2 * pairs, 3, size, size, generator=generator) * 2 - 1,
        "label": torch.tensor([0] * pairs + [1] * pairs),
        "method": torch.tensor([0] * pairs + [1 + i % 5 for i in range(pairs)]),
        "group": torch.randint(0, 8, (2 * pairs,), generator=generator),
    }
    return {k: v.to(device) for k, v in values.items()}


def tiny_detector():
    from fairdf.models import DetectorConfig, FairDetector

    torch.manual_seed(0)  # no dropout: CPU and CUDA draw different masks
    config = DetectorConfig(encoder="tiny", image_size=32, head_dropout=0.0, decoder_dropout=0.0)
    return FairDetector(config).train()


@pytest.fixture
def exact_cuda():
    """float32 convolutions and products in full float32, deterministic cuDNN algorithms."""
    flags = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = (flags[0].allow_tf32, flags[1].allow_tf32, flags[1].deterministic, flags[1].benchmark)
    flags[0].allow_tf32 = flags[1].allow_tf32 = False
    flags[1].deterministic, flags[1].benchmark = True, False
    yield
    flags[0].allow_tf32, flags[1].allow_tf32, flags[1].deterministic, flags[1].benchmark = saved


def detector_loss(device):
    """The loss with its own CPU generator: the contrastive term's random pairing is then
    the same on every device (the global CUDA and CPU random streams differ)."""
    from fairdf.losses import DetectorLoss, LossConfig

    generator = torch.Generator().manual_seed(3)
    return DetectorLoss(LossConfig(), [10] * 8, generator=generator).to(device)


def sam_step_on(model, device, precision="fp32"):
    from fairdf.optim import SAM, sam_step

    model = model.to(device)
    data, loss = batch(device=device), detector_loss(device)
    optimizer = SAM(model.parameters(), torch.optim.SGD, rho=0.05, lr=0.01, momentum=0.9)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32

    def closure():
        with torch.autocast(device.type, dtype=dtype, enabled=precision == "bf16"):
            total = loss(model(data["image"]), data).total
        total.backward()
        return total

    value = sam_step(model, optimizer, closure)
    return value.item(), {k: v.detach().cpu() for k, v in model.state_dict().items()}


def test_cuda_sam_step_equals_cpu_step(exact_cuda):
    model = tiny_detector()
    cpu_loss, cpu_state = sam_step_on(copy.deepcopy(model), torch.device("cpu"))
    cuda_loss, cuda_state = sam_step_on(model, torch.device("cuda"))
    assert cuda_loss == pytest.approx(cpu_loss, rel=1e-4)
    for key, value in cpu_state.items():
        torch.testing.assert_close(cuda_state[key].float(), value.float(), rtol=1e-3, atol=1e-4)


def test_bf16_autocast_step_is_close_to_fp32():
    model = tiny_detector()
    fp32, _ = sam_step_on(copy.deepcopy(model), torch.device("cuda"))
    bf16, state = sam_step_on(model, torch.device("cuda"), "bf16")
    assert bf16 == pytest.approx(fp32, rel=5e-2)
    assert all(torch.isfinite(v.float()).all() for v in state.values())


def test_channels_last_scores_equal_contiguous():
    model = tiny_detector().eval().cuda()
    images = batch(device="cuda")["image"]
    expected = model.score(images).p_fake
    model = model.to(memory_format=torch.channels_last)
    actual = model.score(images.contiguous(memory_format=torch.channels_last)).p_fake
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-5)


def test_checkpointing_on_cuda_matches_and_saves_memory(exact_cuda):
    from fairdf.models.checkpointing import enable_activation_checkpointing

    data = batch(pairs=8, size=64, device="cuda")
    results = []
    for mode in ("none", "all"):
        loss = detector_loss("cuda")
        model = tiny_detector().cuda()
        enable_activation_checkpointing(model, mode)
        torch.cuda.reset_peak_memory_stats()
        loss(model(data["image"]), data).total.backward()
        grads = {k: p.grad for k, p in model.named_parameters()}
        results.append((grads, torch.cuda.max_memory_allocated()))
    for key, grad in results[0][0].items():
        torch.testing.assert_close(results[1][0][key], grad, rtol=1e-4, atol=1e-6)
    assert results[1][1] < results[0][1]


def test_checkpoint_saved_on_cuda_loads_on_cpu_and_back(tmp_path):
    from fairdf.engine.checkpoint import load_checkpoint, save_checkpoint

    model = tiny_detector().eval().cuda()
    save_checkpoint(tmp_path / "ckpt", model, scheme="ffpp", metadata={})
    images = batch()["image"]
    expected = model.score(images.cuda()).p_fake.cpu()
    on_cpu, _ = load_checkpoint(tmp_path / "ckpt", inference_only=True, map_location="cpu")
    torch.testing.assert_close(on_cpu.score(images).p_fake, expected, rtol=1e-4, atol=1e-5)
    on_cuda, _ = load_checkpoint(tmp_path / "ckpt", inference_only=True, map_location="cuda")
    torch.testing.assert_close(on_cuda.score(images.cuda()).p_fake.cpu(), expected)


@pytest.fixture(scope="module")
def cuda_run(tmp_path_factory):
    from fairdf.config import load_config
    from fairdf.data.synth import make_synthetic_dataset
    from fairdf.engine.train import train

    root = tmp_path_factory.mktemp("gpu") / "data"
    data = make_synthetic_dataset(root, n_images=160, size=32, seed=1)
    overrides = [
        f"data.root={data.root}",
        "model.encoder=tiny",
        "model.image_size=32",
        "data.workers=0",
        "train.epochs=1",
        "train.batch_size=8",
        "train.progress=false",
        "train.device=cuda",
        "train.precision=bf16",
        "train.channels_last=true",
        "train.activation_checkpointing=all",
    ]
    run_dir = train(load_config(None, overrides), tmp_path_factory.mktemp("run") / "run")
    return data, run_dir / "checkpoints" / "best"


def test_fairdf_test_on_cuda(cuda_run, tmp_path):
    from fairdf.cli import main

    data, checkpoint = cuda_run
    out = tmp_path / "results"
    argv = ["test", "--checkpoint", str(checkpoint), "--manifest", str(data.manifests["test"])]
    assert main([*argv, "--out", str(out), "--device", "cuda", "--workers", "0"]) == 0
    predictions = pd.read_csv(next(out.rglob("*predictions*.csv")))
    metrics = json.loads(next(out.rglob("*metrics*.json")).read_text())
    auc = roc_auc_score(predictions["label"], predictions["score"])
    assert abs(metrics["overall"]["auc"] - auc) < 1e-9


def test_fairdf_predict_on_cuda(cuda_run, tmp_path):
    from fairdf.cli import main

    data, checkpoint = cuda_run
    frame = pd.read_csv(data.manifests["test"]).head(4)
    paths = [str(data.manifests["test"].parent / path) for path in frame["img_path"]]
    out = tmp_path / "scores.csv"
    argv = ["predict", *paths, "--checkpoint", str(checkpoint), "--no-align"]
    assert main([*argv, "--device", "cuda", "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    assert len(scores) == 4


def test_one_process_nccl_initialisation():
    import torch.distributed as dist

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dist.init_process_group("nccl", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
    try:
        value = torch.ones(3, device="cuda")
        dist.all_reduce(value)
        assert value.tolist() == [1.0, 1.0, 1.0]
    finally:
        dist.destroy_process_group()

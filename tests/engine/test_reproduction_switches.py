"""`train.keep_last_batch` and `optim.always_decay` do what they say."""

from __future__ import annotations

import math

import pytest
import torch

from fairdf.engine import train as train_module
from fairdf.engine.distributed import setup_process, teardown
from fairdf.engine.optimizer import optimizer_step
from fairdf.engine.train import build_trainer, train_one_epoch


@pytest.fixture()
def trainer_of(tiny_config):
    contexts = []

    def make(*extra: str):
        config = tiny_config(*extra)
        context = setup_process(config.train.device)
        contexts.append(context)
        return build_trainer(config, context)

    yield make
    for context in contexts:
        teardown(context)


@pytest.mark.parametrize("keep", [True, False])
def test_keep_last_batch_counts_the_partial_batch(trainer_of, monkeypatch, keep):
    batch_size = 7
    trainer = trainer_of(f"train.batch_size={batch_size}", f"train.keep_last_batch={keep}")
    n_fake = len(trainer.data.train_fake)
    assert n_fake % batch_size, "the test needs a partial last batch"
    sizes = []

    def count(trainer, batch):
        sizes.append(int(batch["label"].sum()))  # fakes in this batch
        return {"total": 0.0}

    monkeypatch.setattr(train_module, "optimizer_step", count)
    train_one_epoch(trainer, 0)
    expected = math.ceil(n_fake / batch_size) if keep else n_fake // batch_size
    assert len(sizes) == expected
    assert sum(sizes) == (n_fake if keep else expected * batch_size)


@pytest.mark.parametrize("sam", [True, False])
@pytest.mark.parametrize("always", [True, False])
def test_fused_head_is_decayed_during_the_warmup_only_when_asked(trainer_of, sam, always):
    trainer = trainer_of(
        "train.fairness_warmup_epochs=1",
        f"optim.sam={str(sam).lower()}",
        f"optim.always_decay={str(always).lower()}",
        "optim.weight_decay=0.05",
    )
    trainer.loss.config = train_module._loss_config(trainer.config, epoch=0)
    assert trainer.loss.config.fuse_weight == 0.0
    fused = {n: p.detach().clone() for n, p in trainer.model.fused_head.named_parameters()}
    shared = {n: p.detach().clone() for n, p in trainer.model.shared_head.named_parameters()}
    batch = next(iter(trainer.loader))
    trainer.model.train()
    optimizer_step(trainer, batch)
    lr, decay = trainer.config.optim.lr, trainer.config.optim.weight_decay
    for name, p in trainer.model.fused_head.named_parameters():
        before = fused[name]
        if always:  # no gradient: the first SGD step moves w by -lr * decay * w
            expected = before - lr * (decay * before)
            torch.testing.assert_close(p.detach(), expected, rtol=1e-6, atol=1e-9)
            assert not torch.equal(p.detach(), before) or torch.count_nonzero(before) == 0
        else:
            assert torch.equal(p.detach(), before), name
    for name, p in trainer.model.shared_head.named_parameters():
        assert not torch.equal(p.detach(), shared[name]), name  # trained either way

#!/usr/bin/env bash
# GPU readiness and GPU numbers, in one go (a few minutes on an H200):
#   1. the tests marked gpu (pytest --run-gpu tests/gpu);
#   2. the training step at the paper's batch (16 real + 16 fake, 256 px, Xception):
#      fp32 and bf16, plain, SAM and LookSAM, inference; bf16 + activation checkpointing;
#   3. the memory target of the scale work at 8 + 8: fp32 against bf16 + checkpointing;
#   4. the training loader alone (images/s for 0, 4 and 8 workers, with augmentation);
#   5. `fairdf train` end to end (loader + step): seconds per step and one FF++ epoch.
# Run from the repository root on a machine with CUDA:
#     bash benchmarks/gpu_check.sh            # PYTHON=python3 to pick the interpreter
# Each step has a time limit and a failed step does not stop the later ones.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
PY=${PYTHON:-python}
failed=0
step() {  # step TITLE SECONDS COMMAND...
    printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"
    local limit=$2
    shift 2
    timeout "$limit" "$@" || { echo "== FAILED (exit $?): $*"; failed=1; }
}

step "device" 60 $PY -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; \
print(torch.cuda.get_device_name(), '| torch', torch.__version__, '| CUDA', torch.version.cuda)"
step "tests marked gpu" 180 $PY -m pytest -q --run-gpu -p no:cacheprovider tests/gpu

cd benchmarks
XC="--device cuda --encoder xception --size 256 --channels-last"
step "paper batch 16+16: fp32 and bf16" 180 $PY train_step.py $XC --batch 16 \
    --precision fp32,bf16 --phases yardstick,plain,sam,looksam,inference --looksam 5 --steps 5
step "8+8: fp32, no checkpointing" 90 \
    $PY train_step.py $XC --batch 8 --precision fp32 --phases sam --steps 5
step "8+8: bf16 + checkpointing (encoders)" 90 \
    $PY train_step.py $XC --batch 8 --precision bf16 --checkpointing encoders --phases sam --steps 5
step "fairdf train end to end (second epoch of 2 x 20 steps)" 180 \
    $PY epoch_time.py --device cuda --precision fp32 bf16 --workers 8 --steps 20
step "training loader alone (256 px crops)" 120 \
    $PY data_loading.py --images 512 --workers 0 4 8 --augment
step "paper batch 16+16: bf16 + checkpointing (encoders), LookSAM k=10" 120 \
    $PY train_step.py $XC --batch 16 --precision bf16 --checkpointing encoders \
    --phases yardstick,sam,looksam --looksam 10 --steps 5
step "fairdf train end to end, LookSAM k=5" 90 \
    $PY epoch_time.py --device cuda --precision bf16 --workers 8 --steps 20 --sam looksam
printf '\n== done (%s)\n' "$(date -u +%H:%M:%S)"
exit $failed

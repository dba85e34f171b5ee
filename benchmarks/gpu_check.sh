#!/usr/bin/env bash
# GPU readiness: the tests marked gpu, then the training step at the paper's batch
# (16 real + 16 fake, 256 px) in fp32, bf16 and bf16 + activation checkpointing, with
# step time and peak CUDA memory. Run from the repository root on a machine with CUDA:
#     bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
python -m pytest -q --run-gpu tests/gpu
cd benchmarks
python train_step.py --device cuda --encoder xception --batch 16 --size 256 \
    --precision fp32,bf16 --phases yardstick,sam --steps 5 --channels-last
python train_step.py --device cuda --encoder xception --batch 16 --size 256 \
    --precision bf16 --checkpointing encoders --phases yardstick,sam,looksam --looksam 5 \
    --steps 5 --channels-last

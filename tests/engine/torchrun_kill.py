"""`fairdf` under torchrun for a test: rank 1 of the first attempt dies (SIGKILL) as epoch 2
starts, after epoch 1 is saved; torchrun then restarts the workers (no test here)."""

import os
import signal
import sys

from fairdf.cli import main
from fairdf.engine import train as engine

_train_one_epoch = engine.train_one_epoch


def train_one_epoch(trainer, epoch, *args, **kwargs):
    first_attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0"
    if epoch == 1 and first_attempt and os.environ.get("RANK") == "1":
        os.kill(os.getpid(), signal.SIGKILL)
    return _train_one_epoch(trainer, epoch, *args, **kwargs)


engine.train_one_epoch = train_one_epoch
sys.exit(main())

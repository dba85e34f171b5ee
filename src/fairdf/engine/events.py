"""Optional TensorBoard event logs beside metrics.jsonl (`train.tensorboard: true`).

RUN_DIR/tensorboard/ receives every loss term of the first SAM pass every
`train.tensorboard_every` steps (tag `train_step/<term>`), the epoch means
(`train/<term>`), the learning rate and every numeric validation metric (`val/<key>`)
per epoch. `metrics.jsonl` stays the record that `fairdf report` reads.
"""

from __future__ import annotations

from pathlib import Path

from fairdf.errors import ConfigError

INSTALL = "pip install 'fairdf[tensorboard]'"


class EventLog:
    """A TensorBoard SummaryWriter with the loop's two logging points."""

    def __init__(self, folder: Path, every: int):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                f"config key 'train.tensorboard': the tensorboard package is missing; {INSTALL}"
            ) from None
        self.writer = SummaryWriter(log_dir=str(folder))
        self.every = every

    def step(self, global_step: int, terms: dict[str, float]) -> None:
        """Loss terms of one step, written every `every` steps."""
        if global_step % self.every:
            return
        for name, value in terms.items():
            self.writer.add_scalar(f"train_step/{name}", value, global_step)

    def epoch(self, record: dict) -> None:
        """One metrics.jsonl record: train means, learning rate, validation metrics."""
        epoch = record["epoch"]
        self.writer.add_scalar("lr", record["lr"], epoch)
        for section in ("train", "val"):
            for name, value in record.get(section, {}).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self.writer.add_scalar(f"{section}/{name}", value, epoch)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def open_event_log(enabled: bool, run_dir: Path, every: int, is_main: bool) -> EventLog | None:
    """An EventLog in RUN_DIR/tensorboard on the main process when enabled, else None."""
    if not (enabled and is_main):
        return None
    return EventLog(Path(run_dir) / "tensorboard", every)

"""Training, evaluation, checkpoints and the run directory."""

"""Training loops and callbacks."""

from .callbacks import (AttentionImages, CheckpointCallback, RPrecisionCallback, TimeLimit,
                        make_checkpoint_manager)
from .checkpoint import CheckpointError, restore_latest
from .damsm import DamsmRun, train_damsm
from .gan import (GanCheckpoint, GanRun, NonFiniteLoss, SampleGrid, build_attngan,
                  make_gan_checkpoint, train_attngan, write_samples)
from .rundir import RunDirectoryLocked, check_run_directory, run_lock

__all__ = ["AttentionImages", "CheckpointCallback", "CheckpointError", "RunDirectoryLocked",
           "restore_latest", "run_lock", "DamsmRun", "GanCheckpoint", "GanRun",
           "NonFiniteLoss", "RPrecisionCallback", "SampleGrid", "TimeLimit", "build_attngan",
           "check_run_directory", "make_checkpoint_manager", "make_gan_checkpoint",
           "train_attngan", "train_damsm", "write_samples"]

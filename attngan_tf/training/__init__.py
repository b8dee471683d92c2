"""Training loops and callbacks."""

from .callbacks import (AttentionImages, CheckpointCallback, RPrecisionCallback, TimeLimit,
                        make_checkpoint_manager)
from .checkpoint import (CheckpointError, CheckpointWriteError, restore_latest,
                         save_checkpoint)
from .damsm import DamsmRun, train_damsm
from .gan import (GanCheckpoint, GanRun, NonFiniteLoss, SampleGrid, build_attngan,
                  make_gan_checkpoint, train_attngan, write_samples)
from .resume import fit_from_step
from .rundir import RunDirectoryLocked, check_run_directory, run_lock

__all__ = ["AttentionImages", "CheckpointCallback", "CheckpointError", "CheckpointWriteError",
           "RunDirectoryLocked", "restore_latest", "run_lock", "save_checkpoint",
           "fit_from_step", "DamsmRun", "GanCheckpoint", "GanRun",
           "NonFiniteLoss", "RPrecisionCallback", "SampleGrid", "TimeLimit", "build_attngan",
           "check_run_directory", "make_checkpoint_manager", "make_gan_checkpoint",
           "train_attngan", "train_damsm", "write_samples"]

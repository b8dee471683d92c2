"""Training loops and callbacks."""

from .callbacks import (AttentionImages, CheckpointCallback, RPrecisionCallback, TimeLimit,
                        make_checkpoint_manager)
from .damsm import DamsmRun, train_damsm

__all__ = ["AttentionImages", "CheckpointCallback", "DamsmRun", "RPrecisionCallback",
           "TimeLimit", "make_checkpoint_manager", "train_damsm"]

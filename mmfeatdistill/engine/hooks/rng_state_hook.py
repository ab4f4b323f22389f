"""Save torch's global RNG state in checkpoints, for exact resume."""
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Put torch's global RNG state into every checkpoint and restore it
    right before the first training iteration after a resume.

    MMEngine 0.10 does not save RNG states, so after ``--resume`` dropout
    masks (ND's embedding transform, ...) differ from an uninterrupted run.
    The data pipeline's randomness is not touched: MMEngine replays it by
    skipping the batches already trained on. ``tools/train.py`` adds this
    hook to every run.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[torch.Tensor] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['torch_rng_state'] = torch.get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._pending = checkpoint.get('torch_rng_state')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self._pending is not None:
            torch.set_rng_state(self._pending)
            self._pending = None

"""Save the global RNG states in checkpoints, for exact resume."""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Put the global RNG states (torch's, CUDA's when there is a GPU,
    numpy's and python's) into every checkpoint and restore them right
    before the first training iteration after a resume (numpy's and
    python's only where the data pipeline is seeded per sample, so that
    loading data does not draw from them).

    MMEngine 0.10 does not save RNG states, so after ``--resume`` dropout
    masks (ND's embedding transform, ...) and anything else drawn from the
    global generators differ from an uninterrupted run. The data pipeline's
    randomness is seeded per sample by
    :class:`~mmfeatdistill.engine.runner.ExactResumeEpochBasedTrainLoop`.
    ``tools/train.py`` adds this hook to every run.
    """

    priority = 'VERY_LOW'

    def __init__(self) -> None:
        self._pending: Optional[dict] = None
        self._val_state: Optional[tuple] = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['torch_rng_state'] = torch.get_rng_state()
        checkpoint['numpy_rng_state'] = np.random.get_state()
        checkpoint['python_rng_state'] = random.getstate()
        if torch.cuda.is_available():
            checkpoint['cuda_rng_state'] = torch.cuda.get_rng_state_all()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # only a resume continues the saved streams (``load_from`` alone
        # starts a run of its own seed)
        cfg = getattr(runner, 'cfg', None)
        if cfg is not None and not cfg.get('resume', False):
            return
        self._pending = {
            key: _on_cpu(checkpoint[key])
            for key in ('torch_rng_state', 'numpy_rng_state',
                        'python_rng_state', 'cuda_rng_state')
            if key in checkpoint
        }

    def before_val_epoch(self, runner) -> None:
        # validation inside training leaves the training streams alone
        # (its loader draws a seed from torch's), so a run resumed from a
        # checkpoint saved before a validation continues exactly
        self._val_state = (torch.get_rng_state(), np.random.get_state(),
                           random.getstate())

    def after_val_epoch(self, runner, metrics=None) -> None:
        state = self._val_state
        if state is None:
            return
        self._val_state = None
        torch.set_rng_state(state[0])
        np.random.set_state(state[1])
        random.setstate(state[2])

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if not self._pending:
            return
        state, self._pending = self._pending, None
        if 'torch_rng_state' in state:
            torch.set_rng_state(state['torch_rng_state'])
        if _data_seeded_per_sample(runner):
            # otherwise the pipeline draws from these streams in this
            # process (no loader workers): MMEngine's iteration-based loop
            # has already drawn this iteration's batch by now
            if 'numpy_rng_state' in state:
                np.random.set_state(state['numpy_rng_state'])
            if 'python_rng_state' in state:
                random.setstate(state['python_rng_state'])
        if 'cuda_rng_state' in state and torch.cuda.is_available() and len(
                state['cuda_rng_state']) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state['cuda_rng_state'])


def _data_seeded_per_sample(runner) -> bool:
    """Whether the training data's randomness is seeded per sample
    (:class:`~mmfeatdistill.engine.runner.ExactResumeEpochBasedTrainLoop`),
    so loading it leaves the global streams alone."""
    from mmfeatdistill.engine.runner import SeededDataset
    loop = getattr(runner, 'train_loop', None)
    loader = getattr(loop, 'dataloader', None)
    return isinstance(getattr(loader, 'dataset', None), SeededDataset)


def _on_cpu(state):
    """RNG states as torch wants them back: CPU byte tensors (a resume on a
    GPU machine maps the checkpoint's tensors to the GPU)."""
    if isinstance(state, torch.Tensor):
        return state.cpu()
    if isinstance(state, (list, tuple)) and state and all(
            isinstance(x, torch.Tensor) for x in state):
        return [x.cpu() for x in state]
    return state

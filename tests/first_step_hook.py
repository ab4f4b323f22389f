"""Test-only hooks: each process writes the losses of its first training step
to ``<work_dir>/first_step_rank<R>.json`` (and, with
``FinalWeightsDumpHook``, a digest of its final weights).

Loaded by a test's config through ``custom_imports``; it registers into the
``mmfeatdistill`` HOOKS registry. Not part of the package.
"""
import hashlib
import json
import os.path as osp
from typing import Iterable, List, Tuple

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model

#: layers whose train-mode output for a sample depends on the other samples
#: of the process's batch (BN's batch statistics) or on the RNG (dropout)
BATCH_COUPLED = (_BatchNorm, _DropoutNd)


def weights_digest(model: nn.Module) -> str:
    """sha256 of every parameter's and buffer's bytes, in state-dict order."""
    return tensors_digest(model.state_dict().items())


def tensors_digest(items: Iterable[Tuple[str, torch.Tensor]]) -> str:
    """sha256 of the names and bytes of ``(name, tensor)`` pairs."""
    digest = hashlib.sha256()
    for name, value in items:
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def json_path(work_dir: str, rank: int) -> str:
    return osp.join(work_dir, f'first_step_rank{rank}.json')


@HOOKS.register_module()
class FirstStepLossDumpHook(Hook):
    """For the first iteration only: put BN and dropout layers in eval mode
    (``freeze_batch_coupled``), then write the loss dict MMEngine passes to
    ``after_train_iter`` (the distiller's losses of this process's batch;
    MMEngine 0.10.7's ``parse_losses`` does not average them over ranks),
    the ``sample_idx`` of the batch and a digest of the weights the step
    started from. The layers' previous modes are restored afterwards.
    """

    def __init__(self, freeze_batch_coupled: bool = True) -> None:
        self.freeze_batch_coupled = freeze_batch_coupled
        self._frozen: List[nn.Module] = []
        self._digest = ''

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if runner.iter != 0:
            return
        model = unwrap_model(runner.model)
        self._digest = weights_digest(model)
        if self.freeze_batch_coupled:
            self._frozen = [
                m for m in model.modules()
                if isinstance(m, BATCH_COUPLED) and m.training
            ]
            for module in self._frozen:
                module.eval()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if runner.iter != 0:
            return
        for module in self._frozen:
            module.train()
        self._frozen = []
        record = dict(
            world_size=get_world_size(), losses={
                k: float(v)
                for k, v in (outputs or {}).items()
            }, sample_idx=[s.sample_idx for s in data_batch['data_samples']],
            weights=self._digest)
        with open(json_path(runner.work_dir, get_rank()), 'w') as f:
            json.dump(record, f, indent=1)


def final_json_path(work_dir: str, rank: int) -> str:
    return osp.join(work_dir, f'final_weights_rank{rank}.json')


@HOOKS.register_module()
class FinalWeightsDumpHook(Hook):
    """After training, each process writes digests of its parameters and
    of its buffers (the unwrapped model's) to
    ``<work_dir>/final_weights_rank<R>.json``: the ranks of a data-parallel
    run must agree on the parameters. Buffers (BN's running statistics) are
    each rank's own: DDP broadcasts rank 0's before every forward, and the
    last forward updates them with the rank's batch."""

    def after_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        record = dict(world_size=get_world_size(), iter=runner.iter,
                      params=tensors_digest(model.named_parameters()),
                      buffers=tensors_digest(model.named_buffers()))
        with open(final_json_path(runner.work_dir, get_rank()), 'w') as f:
            json.dump(record, f, indent=1)

"""Sharded (FSDP) training of the distiller under MMEngine's
``FlexibleRunner``, on GPUs (NCCL) and on CPU (gloo).

MMEngine's own ``FSDPStrategy`` wraps the whole model in one FSDP unit and
assumes CUDA (``device_id=LOCAL_RANK``, ``init_dist`` calls
``torch.cuda.set_device``). For a distiller one unit is wrong: connectors
and auxiliary heads would be sharded too, and TOFD's orthogonal loss reads a
link's weight outside any forward, where a sharded parameter is a slice.
:class:`DistillerFSDPStrategy` shards the student in its own FSDP unit, the
frozen teacher in another (or leaves it replicated), keeps connectors and
heads replicated and averages their gradients over the ranks itself
(:class:`ShardedDistiller`).
"""
import copy
import os
import re
import time
from typing import Callable, Dict, List, Optional, Tuple, Union

import mmengine
import torch
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.dist import (broadcast, get_world_size, is_distributed,
                           is_main_process)
from mmengine.model import BaseDataPreprocessor, is_model_wrapper
from mmengine.optim import BaseOptimWrapper, OptimWrapper
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.utils import get_git_hash
from torch import nn
from torch.distributed.fsdp import (FullOptimStateDictConfig,
                                    FullStateDictConfig,
                                    FullyShardedDataParallel, StateDictType)
from torch.distributed.fsdp.wrap import size_based_auto_wrap_policy

from mmfeatdistill.registry import FUNCTIONS, MODEL_WRAPPERS, STRATEGIES
from mmfeatdistill.utils import atomic_save
from mmfeatdistill.utils.checkpoint import safe_loaders
from mmfeatdistill.utils.checks import check_bool

# MMEngine exports its strategies only through the registry (the module,
# mmengine._strategy, is private)
FSDPStrategy = MMENGINE_STRATEGIES.get('FSDPStrategy')

#: the prefixes of the distiller's sharded parts in its state dict
SHARDED_PARTS = ('student', 'teacher')

# torch's policy by name for ``model_wrapper.auto_wrap_policy`` (MMEngine
# registers none; its FSDP wrapper looks names up in the root registry, so
# the scope is part of the name): dict(type='mmfeatdistill.size_based_auto_
# wrap_policy', min_num_params=N) gives every submodule of N parameters or
# more a unit of its own
FUNCTIONS.register_module(name='size_based_auto_wrap_policy',
                          module=size_based_auto_wrap_policy)


def fsdp_device() -> torch.device:
    """The device of this process's FSDP units: its GPU (``LOCAL_RANK``)
    when CUDA is available, otherwise the CPU."""
    if torch.cuda.is_available():
        return torch.device('cuda', int(os.environ.get('LOCAL_RANK', 0)))
    return torch.device('cpu')


@MODEL_WRAPPERS.register_module()
class ShardedDistiller(nn.Module):
    """A distiller whose student (and teacher) are FSDP units, as
    :class:`DistillerFSDPStrategy` builds it.

    FSDP averages the gradients of the sharded student over the ranks; the
    distiller's other trained parameters (connectors, auxiliary heads) are
    replicated, and :meth:`sync_replicated_grads` averages theirs (as DDP
    does) once per optimizer step, after the last accumulated backward and
    before the step (so gradient clipping, were it supported, would see the
    averaged gradients).

    Args:
        module (nn.Module): The distiller, its parts already wrapped.
        replicated (list[nn.Parameter]): Its trained parameters outside the
            FSDP units.
    """

    def __init__(self, module: nn.Module,
                 replicated: List[nn.Parameter]) -> None:
        super().__init__()
        self.module = module
        # not registered: they are the module's parameters already
        self._replicated = list(replicated)

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """``BaseModel.train_step`` with the replicated gradients averaged
        over the ranks before each optimizer step.

        Args:
            data (dict | tuple | list): A batch of the dataloader.
            optim_wrapper (OptimWrapper): The optimizer wrapper (gradient
                accumulation is honoured: ``should_update``).

        Returns:
            dict: The losses to log.
        """
        with optim_wrapper.optim_context(self):
            data = self.module.data_preprocessor(data, True)
            if isinstance(data, dict):
                losses = self(**data, mode='loss')
            else:
                losses = self(*data, mode='loss')
        parsed_loss, log_vars = self.module.parse_losses(losses)
        optim_wrapper.backward(optim_wrapper.scale_loss(parsed_loss))
        if optim_wrapper.should_update():
            self.sync_replicated_grads()
            optim_wrapper.step()
            optim_wrapper.zero_grad()
        return log_vars

    def val_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.val_step(data)

    def test_step(self, data: Union[dict, tuple, list]) -> list:
        return self.module.test_step(data)

    @torch.no_grad()
    def sync_replicated_grads(self) -> None:
        """Average the replicated parameters' gradients over the ranks, in
        one all-reduce per dtype. A parameter without a gradient on a rank
        counts as a zero gradient there (DDP's ``find_unused_parameters``);
        one without a gradient on every rank keeps none."""
        if get_world_size() == 1:
            return
        groups: Dict[Tuple[torch.dtype, torch.device], List[nn.Parameter]] = {}
        for param in self._replicated:
            groups.setdefault((param.dtype, param.device), []).append(param)
        world = get_world_size()
        for params in groups.values():
            flat = torch.cat(
                [(p.grad if p.grad is not None else torch.zeros_like(p)
                  ).reshape(-1) for p in params] + [
                      torch.tensor([float(p.grad is not None)
                                    for p in params], dtype=params[0].dtype,
                                   device=params[0].device)
                  ])
            torch_dist.all_reduce(flat)
            has_grad = flat[-len(params):]
            offset = 0
            for param, present in zip(params, has_grad):
                value = flat[offset:offset + param.numel()]
                offset += param.numel()
                if present.item() == 0:
                    continue
                value = value.view_as(param).div_(world)
                if param.grad is None:
                    param.grad = value.clone()
                else:
                    param.grad.copy_(value)


@STRATEGIES.register_module()
class DistillerFSDPStrategy(FSDPStrategy):
    """FSDP for :class:`~mmfeatdistill.models.FeatureDistiller`, on GPUs and
    on CPU (gloo), for MMEngine's ``FlexibleRunner``.

    * The student trains in its own FSDP unit (each rank holds about 1/N
      of its parameters, gradients and optimizer state).
    * The teacher stays frozen and out of the optimizer, in its own FSDP
      unit (``shard_teacher=True``: sharded, no gradient) or replicated.
    * Connectors, auxiliary heads and loss buffers (ND's class means) stay
      replicated; :class:`ShardedDistiller` averages their gradients.
    * What is computed from the teacher's full weights (the teacher
      fingerprint ND's class-means files record) is computed before
      wrapping. Recorders keep the modules they resolved when the distiller
      was built (the wrapped modules are the same objects).
    * Checkpoints hold the full (unsharded) state dict and the full
      optimizer state, gathered on every rank and written by rank 0
      atomically: ``tools/export_student.py`` exports the student as from a
      DDP run, and a run resumes from them with the same number of ranks.

    On CPU the process group is gloo (``env://``) and the units'
    ``device_id`` the CPU; with CUDA, NCCL (MMEngine's ``init_dist``) and
    the GPU of ``LOCAL_RANK``.

    Not supported: gradient clipping (``optim_wrapper.clip_grad``: the
    norm would be each rank's shard's; refused), ``ConnectorWarmupHook`` (it
    toggles ``requires_grad`` of sharded parameters; refused) and
    ``paramwise_cfg.custom_keys`` that name student or teacher submodules
    (their parameter names contain FSDP's ``_fsdp_wrapped_module``).

    Args:
        shard_teacher (bool): Put the teacher in an FSDP unit of its own
            (True) or keep it whole on every rank (False). Defaults to True.
        model_wrapper (dict, optional): Arguments of the student's and the
            teacher's ``MMFullyShardedDataParallel`` units, e.g.
            ``dict(sharding_strategy='FULL_SHARD', auto_wrap_policy=...)``
            (``device_id`` is set here). Defaults to None.
        state_dict_cfg (str): Only ``'full'`` (see above).
        **kwargs: Those of MMEngine's ``FSDPStrategy``.
    """

    def __init__(self, *, shard_teacher: bool = True,
                 model_wrapper: Optional[dict] = None,
                 state_dict_cfg: str = 'full', **kwargs) -> None:
        if state_dict_cfg != 'full':
            raise ValueError(
                f'DistillerFSDPStrategy saves full checkpoints only '
                f'(state_dict_cfg="full"), got {state_dict_cfg!r}.')
        self.shard_teacher = check_bool(
            shard_teacher, 'DistillerFSDPStrategy(shard_teacher=...)')
        super().__init__(model_wrapper=model_wrapper, state_dict_cfg='full',
                         **kwargs)

    # MMEngine's strategies have no public extension points for the
    # process group and the wrapping: _setup_distributed and _wrap_model
    # are the methods its own DDPStrategy and FSDPStrategy override
    # (exercised by tests/test_reliability/test_fsdp.py)
    def _setup_distributed(self, launcher: str = 'pytorch',
                           backend: str = 'nccl', **kwargs) -> None:
        """Without CUDA: a gloo process group from torch's environment
        variables (``tools/train.py`` has made one already for
        ``--launcher pytorch`` and ``slurm``)."""
        if is_distributed():
            return
        if torch.cuda.is_available():
            super()._setup_distributed(launcher, backend, **kwargs)
        else:
            torch_dist.init_process_group(backend='gloo')

    def _wrap_model(self, model: nn.Module) -> ShardedDistiller:
        """Compute the teacher's fingerprint, shard the student (and the
        teacher), give every rank rank 0's replicated parts and wrap the
        distiller in :class:`ShardedDistiller`."""
        if is_model_wrapper(model):
            return model
        missing = [p for p in SHARDED_PARTS if not hasattr(model, p)]
        if missing or not hasattr(model, 'teacher_fingerprint'):
            raise TypeError(
                f'DistillerFSDPStrategy shards a FeatureDistiller (student '
                f'and teacher); got {type(model).__name__}. Use MMEngine\'s '
                f'FSDPStrategy for other models.')
        device = fsdp_device()
        for module in model.modules():
            if isinstance(module, BaseDataPreprocessor):
                module.to(get_device())
        # from the full weights, before the teacher is sharded
        model.teacher_fingerprint()
        replicated = [
            param for name, param in model.named_parameters()
            if param.requires_grad and name.split('.')[0] not in SHARDED_PARTS
        ]
        model.to(device)
        for name, value in model.state_dict().items():
            if name.split('.')[0] not in SHARDED_PARTS:
                broadcast(value)
        model.student = self._shard(model.student, device)
        if self.shard_teacher:
            model.teacher = self._shard(model.teacher, device)
        return ShardedDistiller(model, replicated)

    def _shard(self, module: nn.Module, device: torch.device) -> nn.Module:
        """``module`` in an FSDP unit (``MMFullyShardedDataParallel`` with
        :attr:`model_wrapper`'s arguments)."""
        cfg = copy.deepcopy(dict(self.model_wrapper or {}))
        cfg.setdefault('type', 'MMFullyShardedDataParallel')
        return MODEL_WRAPPERS.build(
            cfg, default_args=dict(module=module, device_id=device))

    def build_optim_wrapper(
        self,
        optim_wrapper: Union[torch.optim.Optimizer, OptimWrapper, dict],
        model: Optional[nn.Module] = None,
    ) -> BaseOptimWrapper:
        """MMEngine's, refusing gradient clipping (see the class)."""
        built = super().build_optim_wrapper(optim_wrapper, model)
        if getattr(built, 'clip_grad_kwargs', None):
            raise ValueError(
                'DistillerFSDPStrategy does not support optim_wrapper.'
                'clip_grad: the norm would be computed per rank over its '
                'shard of the student.')
        return built

    # ------------------------------------------------------------------
    # checkpoints: full state dicts
    def _state_dict_type(self, rank0_only: bool):
        """The context that makes every FSDP unit of the distiller give (or
        take) full state dicts; ``rank0_only`` for saving (offloaded to
        the CPU, empty on the other ranks).

        On CPU nothing is offloaded: FSDP would then hand out views of the
        gathered parameters, freed when it reshards them (a crash in
        ``torch.save``); without offloading it clones them."""
        offload = rank0_only and fsdp_device().type != 'cpu'
        return FullyShardedDataParallel.state_dict_type(
            self.model.module, StateDictType.FULL_STATE_DICT,
            FullStateDictConfig(offload_to_cpu=offload, rank0_only=rank0_only),
            FullOptimStateDictConfig(offload_to_cpu=offload,
                                     rank0_only=rank0_only))

    def model_state_dict(self) -> dict:
        """The distiller's full state dict on rank 0 (its own names, as
        without FSDP); empty on the other ranks. Every rank must call it."""
        with self._state_dict_type(rank0_only=True):
            return self.model.module.state_dict()

    def optim_state_dict(self) -> dict:
        """The full optimizer state (keyed by parameter names) on rank 0.
        Every rank must call it."""
        with self._state_dict_type(rank0_only=True):
            return FullyShardedDataParallel.optim_state_dict(
                self.model.module, self.optim_wrapper.optimizer)

    def _init_model_weights(self, model: nn.Module) -> nn.Module:
        """MMEngine's, with our weights-only loaders: the
        ``FlexibleRunner`` initialises the weights (``init_cfg``
        checkpoints, e.g. ``torchvision://``) in ``prepare``, before its
        ``before_run`` hooks."""
        with safe_loaders():
            return super()._init_model_weights(model)

    def load_checkpoint(self, filename: str, **kwargs) -> dict:
        """MMEngine's, with our weights-only loaders
        (:func:`~mmfeatdistill.utils.checkpoint.safe_loaders`): the
        ``FlexibleRunner`` loads ``load_from`` and resumes before its
        ``before_run`` hooks, so ``SafeLoadingHook`` has not installed them
        yet. Keyword arguments as MMEngine's ``FSDPStrategy``."""
        with safe_loaders():
            return super().load_checkpoint(filename, **kwargs)

    def load_model_state_dict(
        self,
        state_dict: dict,
        *,
        strict: bool = False,
        revise_keys: list = [(r'^module.', '')],
    ) -> None:
        """Load a full state dict (every rank reads the whole file and keeps
        its shards); missing and unexpected keys are logged."""
        for pattern, replacement in revise_keys:
            state_dict = type(state_dict)((re.sub(pattern, replacement, k), v)
                                          for k, v in state_dict.items())
        with self._state_dict_type(rank0_only=False):
            result = self.model.module.load_state_dict(state_dict,
                                                       strict=strict)
        if result.missing_keys or result.unexpected_keys:
            self.logger.warning(
                f'Checkpoint load: missing keys {result.missing_keys}, '
                f'unexpected keys {result.unexpected_keys}')

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """Load a full optimizer state (see :meth:`optim_state_dict`)."""
        optimizer = self.optim_wrapper.optimizer
        with self._state_dict_type(rank0_only=False):
            state_dict = FullyShardedDataParallel.optim_state_dict_to_load(
                model=self.model.module, optim=optimizer,
                optim_state_dict=state_dict)
        self.optim_wrapper.load_state_dict(state_dict)

    def save_checkpoint(self, filename: str, *, save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        extra_ckpt: Optional[dict] = None,
                        callback: Optional[Callable] = None) -> None:
        """Gather the full state on every rank; rank 0 writes it atomically
        (``AtomicCheckpointHook``'s guarantee: a kill while writing leaves
        the previous file). Arguments as MMEngine's ``FSDPStrategy``."""
        checkpoint: dict = dict(state_dict=self.model_state_dict())
        if save_optimizer and hasattr(self, 'optim_wrapper'):
            checkpoint['optimizer'] = self.optim_state_dict()
        if save_param_scheduler and hasattr(self, 'param_schedulers'):
            checkpoint['param_schedulers'] = self.scheduler_state_dict()
        extra_ckpt = dict(extra_ckpt or {})
        extra_ckpt.setdefault('meta', dict())
        extra_ckpt['meta'].update(
            seed=self.seed, time=time.strftime('%Y%m%d_%H%M%S',
                                               time.localtime()),
            mmengine=mmengine.__version__ + get_git_hash())
        checkpoint.update(extra_ckpt)
        if callback is not None:
            callback(checkpoint)
        if is_main_process():
            atomic_save(checkpoint, filename)

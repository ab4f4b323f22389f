"""The distiller: a frozen teacher, a student, recorders, connectors and
losses, as one MMEngine model."""
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils import (extract_state_dict, load_strict,
                                 read_checkpoint, resolve_model_cfg)
from ..recorders import RecorderManager
from .loss_mapping import build_loss_arguments

ForwardResults = Union[Dict[str, torch.Tensor], List[BaseDataElement],
                       torch.Tensor]


@MODELS.register_module()
class FeatureDistiller(BaseModel):
    """Distil a teacher into a student of any OpenMMLab 2.x package.

    In ``mode='loss'`` the teacher runs ``mode='tensor'`` under
    ``torch.no_grad`` (first, so that its activations are freed before the
    student's graph is built), then the student its own ``loss`` (task
    losses); recorders capture features of both, connectors transform them
    and each distillation loss gets its arguments from
    ``loss_forward_mappings``. The returned dict holds
    the student's task losses under their usual keys (one named just
    ``'loss'``, as mmpretrain's, becomes ``'loss_student'`` so that the
    logged ``loss`` is the total) plus one key per distillation loss (its
    name in ``distill_losses``, which must contain ``'loss'`` so that
    MMEngine optimises and logs it).

    ``predict`` and ``tensor`` modes are the student's, so the packages' own
    evaluators work unchanged, and the student's data preprocessor is used.

    Args:
        student (dict): Model config or ``dict(cfg_path='pkg::file.py', ...)``
            (see :func:`mmfeatdistill.utils.resolve_model_cfg`).
        teacher (dict): Same, for the teacher.
        teacher_ckpt (str, optional): Local path or URL of the teacher's
            weights, loaded strictly when the distiller is built.
        teacher_norm_eval (bool): True: the teacher's BN layers use their
            running statistics. False (default, as OFD's and TOFD's released
            code): batch statistics in training, without updating the running
            statistics, so the teacher's weights and buffers never change.
        student_recorders (dict): ``name -> recorder config`` on the student.
        teacher_recorders (dict): ``name -> recorder config`` on the teacher.
        connectors (dict): ``name -> connector config``.
        distill_losses (dict): ``name -> loss config``; names contain 'loss'.
        loss_forward_mappings (dict): ``loss name -> {forward arg -> spec}``
            (see :class:`LossArgument`).
        teacher_forward_mode (str): Mode of the teacher's forward. Defaults
            to ``'tensor'`` (backbone, neck and head, no post-processing).
        check_finite (bool): Raise ``FloatingPointError`` naming the loss
            and the iteration when a loss is NaN or inf. Defaults to True.
        data_preprocessor (dict, optional): Used for the student if its own
            config has none (the Runner passes the config's top-level one).
        init_cfg (dict, optional): Unused; kept for the MMEngine signature.
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 teacher_norm_eval: bool = False,
                 student_recorders: Optional[dict] = None,
                 teacher_recorders: Optional[dict] = None,
                 connectors: Optional[dict] = None,
                 distill_losses: Optional[dict] = None,
                 loss_forward_mappings: Optional[dict] = None,
                 teacher_forward_mode: str = 'tensor',
                 check_finite: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.student = MODELS.build(
            resolve_model_cfg(student, 'student', data_preprocessor))
        self.teacher = MODELS.build(
            resolve_model_cfg(teacher, 'teacher', data_preprocessor))
        self.data_preprocessor = self.student.data_preprocessor
        self.teacher_ckpt = teacher_ckpt
        self.teacher_norm_eval = teacher_norm_eval
        self.teacher_forward_mode = teacher_forward_mode
        self.check_finite = check_finite

        if teacher_ckpt is not None:
            load_strict(
                self.teacher, extract_state_dict(read_checkpoint(teacher_ckpt)),
                teacher_ckpt)
        self.teacher.requires_grad_(False)
        if not teacher_norm_eval:
            for module in self.teacher.modules():
                if isinstance(module, _BatchNorm):
                    # batch statistics in train mode, running stats untouched
                    module.track_running_stats = False

        self.student_recorders = RecorderManager(student_recorders)
        self.student_recorders.prepare(self.student, 'student')
        self.teacher_recorders = RecorderManager(teacher_recorders)
        self.teacher_recorders.prepare(self.teacher, 'teacher')

        self.connectors = nn.ModuleDict(
            {name: MODELS.build(cfg)
             for name, cfg in (connectors or {}).items()})
        for connector in self.connectors.values():
            if hasattr(connector, 'prepare'):
                connector.prepare(self.student, self.teacher,
                                  teacher_ckpt=teacher_ckpt)

        distill_losses = distill_losses or {}
        loss_forward_mappings = loss_forward_mappings or {}
        for name in distill_losses:
            if 'loss' not in name:
                raise KeyError(
                    f'Distillation loss name {name!r} must contain "loss": '
                    f'MMEngine only optimises keys containing "loss" (e.g. '
                    f'rename it to "loss_{name}").')
        unmapped = set(distill_losses) ^ set(loss_forward_mappings)
        if unmapped:
            raise KeyError(
                f'Every loss in distill_losses needs an entry in '
                f'loss_forward_mappings and vice versa; unmatched: '
                f'{sorted(unmapped)}.')
        self.distill_losses = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in distill_losses.items()})
        managers = dict(student_recorders=self.student_recorders,
                        teacher_recorders=self.teacher_recorders,
                        connectors=self.connectors)
        self.loss_arguments = {
            name: build_loss_arguments(name, self.distill_losses[name],
                                       loss_forward_mappings[name], **managers)
            for name in self.distill_losses
        }

    # ------------------------------------------------------------------
    # modes
    def init_weights(self) -> None:
        """Initialise the student and connectors; a loaded teacher is kept."""
        self.student.init_weights()
        for connector in self.connectors.values():
            if hasattr(connector, 'init_weights'):
                connector.init_weights()
        if self.teacher_ckpt is None and hasattr(self.teacher,
                                                 'init_weights'):
            self.teacher.init_weights()

    def train(self, mode: bool = True) -> 'FeatureDistiller':
        """Set train/eval mode; the teacher stays in eval mode when
        ``teacher_norm_eval`` is True."""
        super().train(mode)
        if self.teacher_norm_eval:
            self.teacher.eval()
        return self

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode=mode)

    # ------------------------------------------------------------------
    # losses
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Student task losses plus one entry per distillation loss."""
        if self.teacher_recorders.recorders:
            # the teacher first: its no-grad activations are freed before
            # the student's graph is built, so they never add to its peak
            with torch.no_grad(), self.teacher_recorders:
                self.teacher(inputs, data_samples,
                             mode=self.teacher_forward_mode)
        with self.student_recorders:
            losses = dict(self.student(inputs, data_samples, mode='loss'))
        if 'loss' in losses:
            # mmpretrain's head calls its cross-entropy 'loss', which would
            # hide MMEngine's total (also 'loss') in the logs
            losses['loss_student'] = losses.pop('loss')
        losses.update(self.compute_distill_losses(losses))
        if self.check_finite:
            self._check_finite(losses)
        return losses

    @staticmethod
    def _check_finite(losses: Dict[str, torch.Tensor]) -> None:
        """Stop on a NaN/inf loss, naming it and the iteration, before the
        backward pass trains on garbage (one device sync for all losses)."""
        checks = [(name, v) for name, value in losses.items()
                  if 'loss' in name for v in (
                      value if isinstance(value, (list, tuple)) else [value])
                  if isinstance(v, torch.Tensor)]
        finite = [torch.isfinite(v.detach()).all() for _, v in checks]
        if finite and len({f.device for f in finite}) == 1 and bool(
                torch.stack(finite).all()):
            return
        for (name, v), ok in zip(checks, finite):
            if not ok:
                from mmengine.logging import MessageHub
                hub = MessageHub.get_current_instance()
                raise FloatingPointError(
                    f'Loss {name!r} is {v.detach().flatten()[:4].tolist()}'
                    f' at iteration {hub.get_info("iter", "?")}: '
                    f'stopping instead of training on it. Lower the lr '
                    f'or this loss\'s loss_weight, or check its inputs '
                    f'(set check_finite=False to skip this check).')

    def compute_distill_losses(
            self, task_losses: Optional[dict] = None
    ) -> Dict[str, torch.Tensor]:
        """Evaluate every distillation loss on the last recorded forward."""
        cache: dict = {}
        results = {}
        for name, loss in self.distill_losses.items():
            if task_losses and name in task_losses:
                raise KeyError(
                    f'Distillation loss {name!r} has the name of a task loss '
                    f'of the student; rename it in the config.')
            arguments = self.loss_arguments[name]
            kwargs = {}
            for arg, argument in arguments.items():
                key = argument.key()
                if key not in cache:
                    cache[key] = argument.compute(
                        self.student_recorders, self.teacher_recorders,
                        self.connectors, cache)
                kwargs[arg] = cache[key]
            self._check_shapes(name, loss, arguments, kwargs)
            results[name] = loss(**kwargs)
        return results

    @staticmethod
    def _check_shapes(name: str, loss: nn.Module, arguments: dict,
                      kwargs: dict) -> None:
        for first, second in getattr(loss, 'paired_args', ()):
            if first not in kwargs or second not in kwargs:
                continue
            a, b = kwargs[first], kwargs[second]
            if isinstance(a, torch.Tensor) and isinstance(
                    b, torch.Tensor) and a.shape != b.shape:
                raise ValueError(
                    f'Loss {name!r} ({type(loss).__name__}) needs '
                    f'{first} and {second} of the same shape, got '
                    f'{tuple(a.shape)} from {arguments[first].describe()} and '
                    f'{tuple(b.shape)} from {arguments[second].describe()}. '
                    f'Add or fix a connector that maps one onto the other '
                    f'(e.g. ConvConnector for channels).')

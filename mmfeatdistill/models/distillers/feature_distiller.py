"""The distiller: a frozen teacher, a student, recorders, connectors and
losses, as one MMEngine model. Its parts live beside it: the teacher
(:mod:`.teacher`), the losses' inputs and their evaluation
(:mod:`.loss_pipeline`), schedules (:mod:`.loss_schedules`), the NaN/inf
check (:mod:`.finite_check`), shape errors (:mod:`.shape_check`) and
checkpoint loading (:mod:`.state_migration`)."""
from typing import Dict, List, Optional, Type, Union

import torch
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn

from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils import resolve_model_cfg
from mmfeatdistill.utils.checks import check_bool
from ..recorders import RecorderManager
from .loss_mapping import LossArgument, build_all_loss_arguments
from .loss_pipeline import LossPipeline
from .loss_schedules import apply_schedules, build_schedules
from .recording import RecordingMixin
from .state_migration import migrate_state_dict
from .teacher import (load_frozen_teacher, require_teacher_ckpt,
                      set_teacher_mode, state_fingerprint)
from .teacher_inputs import TeacherInputs

ForwardResults = Union[Dict[str, torch.Tensor], List[BaseDataElement],
                       torch.Tensor]


@MODELS.register_module()
class FeatureDistiller(RecordingMixin, BaseModel):
    """Distil a teacher into a student of any OpenMMLab 2.x package.

    In ``mode='loss'`` the teacher runs ``mode='tensor'`` under
    ``torch.no_grad`` (first, so that its activations are freed before the
    student's graph is built), then the student its own ``loss`` (task
    losses); recorders capture features of both, connectors transform them
    and each distillation loss gets its arguments from
    ``loss_forward_mappings``. The returned dict holds the student's task
    losses under their usual keys (one named just
    ``'loss'``, as mmpretrain's, becomes ``'loss_student'`` so that the
    logged ``loss`` is the total) plus one key per distillation loss (its
    name in ``distill_losses``, which must contain ``'loss'`` so that
    MMEngine optimises and logs it).

    ``predict`` and ``tensor`` modes are the student's, so the packages' own
    evaluators work unchanged, and the student's data preprocessor is used;
    when the teacher's config normalises differently (mean/std, channel
    order), the teacher's inputs are mapped to its own normalisation.

    The teacher never trains: its parameters need no gradient, it is left
    out of the optimizer (``DistillerOptimWrapperConstructor``) and every
    module of it is in eval mode (dropout, drop-path and the like off), except
    its BN layers when ``teacher_norm_eval`` is False.

    Statistics passes (e.g. ND's class means) use the public
    :meth:`compute_loss_inputs`, which runs the models exactly as training
    does and returns the arguments of named losses.

    Args:
        student (dict): Model config or ``dict(cfg_path='pkg::file.py', ...)``
            (see :func:`mmfeatdistill.utils.resolve_model_cfg`).
        teacher (dict): Same, for the teacher.
        teacher_ckpt (str, optional): Local path or URL of the teacher's
            weights (a plain model checkpoint, or a distiller checkpoint of
            this package, whose ``teacher.`` weights are used), read once
            and loaded strictly when the distiller is built. Required unless
            ``untrained_teacher`` is True.
        untrained_teacher (bool): Allow a distiller without
            ``teacher_ckpt``: the teacher keeps its random initialisation
            (tests, ablations). Defaults to False.
        teacher_norm_eval (bool): True: the teacher's BN layers use their
            running statistics. False (default, as OFD's and TOFD's released
            code): batch statistics in training, without updating the running
            statistics, so the teacher's weights and buffers never change.
            Every other module of the teacher is in eval mode either way.
        student_recorders (dict): ``name -> recorder config`` on the student.
        teacher_recorders (dict): ``name -> recorder config`` on the teacher.
        connectors (dict): ``name -> connector config``.
        distill_losses (dict): ``name -> loss config``; names contain 'loss'.
        loss_forward_mappings (dict): ``loss name -> {forward arg -> spec}``
            (see :class:`LossArgument`).
        schedules (dict): ``loss name -> {attribute -> schedule config}``,
            e.g. ``dict(loss_kd=dict(loss_weight=dict(type='LinearRamp',
            start=0.0, length=20)))``, over the run's epochs or optimizer
            steps (:func:`~.loss_schedules.apply_schedules`); outside a
            Runner the configured value is used.
        teacher_forward_mode (str): Mode of the teacher's forward. Defaults
            to ``'tensor'`` (backbone, neck and head, no post-processing).
        check_finite (bool): Raise ``FloatingPointError`` naming the loss
            and the iteration when a loss is NaN or inf. Defaults to True.
        release_records (bool): In a training step, drop each record once
            the last loss that reads it has its inputs: what backward needs
            lives on in the losses' graphs, the rest is freed before
            backward (same losses and gradients). False keeps every record
            until the next forward (:meth:`loss_inputs`). Defaults to True.
        data_preprocessor (dict, optional): Used for the student if its own
            config has none (the Runner passes the config's top-level one).
        init_cfg (dict, optional): Unused; kept for the MMEngine signature.
    """

    def __init__(self, student: dict, teacher: dict,
                 teacher_ckpt: Optional[str] = None,
                 untrained_teacher: bool = False,
                 teacher_norm_eval: bool = False,
                 student_recorders: Optional[dict] = None,
                 teacher_recorders: Optional[dict] = None,
                 connectors: Optional[dict] = None,
                 distill_losses: Optional[dict] = None,
                 loss_forward_mappings: Optional[dict] = None,
                 schedules: Optional[dict] = None,
                 teacher_forward_mode: str = 'tensor',
                 check_finite: bool = True, release_records: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in dict(untrained_teacher=untrained_teacher,
                                teacher_norm_eval=teacher_norm_eval,
                                check_finite=check_finite,
                                release_records=release_records).items():
            check_bool(value, f'FeatureDistiller({name}=...)')
        require_teacher_ckpt(teacher_ckpt, untrained_teacher)
        self.student = MODELS.build(
            resolve_model_cfg(student, 'student', data_preprocessor))
        self.teacher = MODELS.build(
            resolve_model_cfg(teacher, 'teacher', data_preprocessor))
        self.data_preprocessor = self.student.data_preprocessor
        # the teacher sees its own normalisation when its config differs
        self.teacher_inputs = TeacherInputs(
            self.student.data_preprocessor,
            getattr(self.teacher, 'data_preprocessor', None))
        self.teacher_ckpt = teacher_ckpt
        self.teacher_norm_eval = teacher_norm_eval
        self.teacher_forward_mode = teacher_forward_mode
        self.check_finite = check_finite
        self.release_records = release_records
        self._fingerprint: Optional[str] = None
        checkpoint = load_frozen_teacher(self.teacher, teacher_ckpt,
                                         teacher_norm_eval)
        self.student_recorders = RecorderManager(student_recorders)
        self.student_recorders.prepare(self.student, 'student')
        self.teacher_recorders = RecorderManager(teacher_recorders)
        self.teacher_recorders.prepare(self.teacher, 'teacher')
        self.connectors = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (connectors or {}).items()
        })
        for connector in self.connectors.values():
            if hasattr(connector, 'prepare'):
                connector.prepare(self.student, self.teacher,
                                  teacher_checkpoint=checkpoint)
        del checkpoint  # read once, used by the teacher and the connectors
        self.distill_losses = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (distill_losses or {}).items()
        })
        self.loss_arguments: Dict[str, Dict[str, LossArgument]] = \
            build_all_loss_arguments(
                self.distill_losses, loss_forward_mappings or {},
                student_recorders=self.student_recorders,
                teacher_recorders=self.teacher_recorders,
                connectors=self.connectors)
        self.pipeline = LossPipeline(self.loss_arguments,
                                     self.student_recorders,
                                     self.teacher_recorders, self.connectors,
                                     release_records, check_finite)
        self.schedules = build_schedules(self.distill_losses, schedules or {})

    # ------------------------------------------------------------------
    # modes
    def init_weights(self) -> None:
        """Initialise the student and connectors; a loaded teacher is kept."""
        self.student.init_weights()
        for connector in self.connectors.values():
            if hasattr(connector, 'init_weights'):
                connector.init_weights()
        if self.teacher_ckpt is None and hasattr(self.teacher, 'init_weights'):
            self.teacher.init_weights()

    def train(self, mode: bool = True) -> 'FeatureDistiller':
        """Set train/eval mode. The teacher is always in eval mode (no
        dropout or drop-path), except its BN layers in training when
        ``teacher_norm_eval`` is False (batch statistics)."""
        super().train(mode)
        set_teacher_mode(self.teacher, mode, self.teacher_norm_eval)
        return self

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> ForwardResults:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        return self.student(inputs, data_samples, mode=mode)

    # ------------------------------------------------------------------
    # public API: recording, loss inputs
    def teacher_fingerprint(self) -> str:
        """sha256 of the teacher's weights (see :func:`state_fingerprint`):
        files derived from the teacher (ND's class means) record it."""
        if self._fingerprint is None:
            self._fingerprint = state_fingerprint(self.teacher)
        return self._fingerprint

    def losses_of_type(self,
                       loss_type: Type[nn.Module]) -> Dict[str, nn.Module]:
        """``name -> loss`` of the distillation losses of ``loss_type``."""
        return {
            name: loss
            for name, loss in self.distill_losses.items()
            if isinstance(loss, loss_type)
        }

    # ------------------------------------------------------------------
    # losses
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Student task losses plus one entry per distillation loss."""
        apply_schedules(self.schedules)
        losses = self.record(inputs, data_samples)
        if 'loss' in losses:
            # mmpretrain's head calls its cross-entropy 'loss', which would
            # hide MMEngine's total (also 'loss') in the logs
            losses['loss_student'] = losses.pop('loss')
        losses.update(self.compute_distill_losses(losses))
        if self.check_finite:
            self.pipeline.check_finite(losses, self.teacher_ckpt)
        return losses

    def compute_distill_losses(
            self,
            task_losses: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        """Evaluate every distillation loss on the last recorded forward,
        one at a time: the inputs only later losses need are not computed
        yet, and those no later loss needs are released
        (:meth:`LossPipeline.losses`)."""
        return self.pipeline.losses(self.distill_losses, task_losses)

    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """See :func:`~.state_migration.migrate_state_dict` (a plain
        student's checkpoint, another run's teacher)."""
        if migrate_state_dict(self, state_dict, prefix):
            self._fingerprint = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

"""The distiller: a frozen teacher, a student, recorders, connectors and
losses, as one MMEngine model."""
import hashlib
from typing import Any, Dict, List, Optional, Sequence, Type, Union

import torch
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.structures import BaseDataElement
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmfeatdistill.registry import MODELS, TASK_UTILS
from mmfeatdistill.utils import (extract_state_dict, load_strict,
                                 read_checkpoint, resolve_model_cfg)
from mmfeatdistill.utils.checks import check_bool
from ..recorders import RecorderManager
from .loss_mapping import LossArgument, build_loss_arguments
from .teacher_inputs import TeacherInputs

ForwardResults = Union[Dict[str, torch.Tensor], List[BaseDataElement],
                       torch.Tensor]
#: Top-level attributes of a distiller's state dict.
_DISTILLER_PREFIXES = ('student.', 'teacher.', 'connectors.',
                       'distill_losses.', 'data_preprocessor.')


def teacher_weights(checkpoint: dict, source: str) -> Dict[str, Any]:
    """The teacher's state dict in ``checkpoint``: the whole state dict of
    a plain model checkpoint, or the ``teacher.`` entries of a distiller
    checkpoint (a run of this package), without the prefix.

    Args:
        checkpoint (dict): The loaded checkpoint.
        source (str): Its path or URL, for the log message.

    Returns:
        dict: The teacher's weights.
    """
    state = extract_state_dict(checkpoint)
    if any(k.startswith('teacher.')
           for k in state) and any(k.startswith('student.') for k in state):
        print_log(
            f'teacher_ckpt {source!r} is a distiller checkpoint: the teacher '
            f'is loaded from its "teacher." weights.', logger='current')
        return type(state)((k[len('teacher.'):], v) for k, v in state.items()
                           if k.startswith('teacher.'))
    return state


def state_fingerprint(module: nn.Module) -> str:
    """sha256 of a module's state dict (names, dtypes, shapes and values):
    the identity of a set of weights, whatever file they came from."""
    digest = hashlib.sha256()
    for name, value in sorted(module.state_dict().items()):
        digest.update(name.encode())
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous()
            digest.update(f'{value.dtype}{tuple(value.shape)}'.encode())
            digest.update(
                value.view(-1).view(torch.uint8).numpy().tobytes() if value.
                numel() else b'')
    return digest.hexdigest()


def _all_finite(value: Any) -> torch.Tensor:
    """0-dim bool tensor: no NaN/inf in the floating-point tensors of
    ``value`` (a tensor, or a list/tuple of them); no device sync. Their
    minimum and maximum hold a NaN or an inf when any element does, so no
    mask of the tensor's size is made (this runs on every training step
    for the teacher's released records)."""
    flags = [
        torch.isfinite(torch.stack(torch.aminmax(t))).all()
        for t in (value if isinstance(value, (list, tuple)) else [value])
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel()
    ]
    return torch.stack(flags).all() if flags else torch.tensor(True)


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
            start=0.0, length=20)))``: the attribute follows the schedule
            (:mod:`mmfeatdistill.engine.schedules`) over the run's epochs or
            iterations (read from MMEngine's message hub, so a resumed run
            continues the schedule); outside a Runner the configured value
            is used.
        teacher_forward_mode (str): Mode of the teacher's forward. Defaults
            to ``'tensor'`` (backbone, neck and head, no post-processing).
        check_finite (bool): Raise ``FloatingPointError`` naming the loss
            and the iteration when a loss is NaN or inf. Defaults to True.
        release_records (bool): In a training step (:meth:`loss`, and
            :meth:`compute_distill_losses`), drop each record from its
            recorder once the last loss that reads it has taken its inputs
            (its connectors have run; the loss itself runs next): what
            backward needs stays alive through the losses' graphs, the rest
            (e.g. OFD's teacher features, which its loss does not keep) is
            freed before backward. Losses and gradients are the same either
            way. False keeps every record until the next forward (to read
            them after ``loss()``, e.g. with :meth:`loss_inputs`). Defaults
            to True.
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
        flags = dict(untrained_teacher=untrained_teacher,
                     teacher_norm_eval=teacher_norm_eval,
                     check_finite=check_finite,
                     release_records=release_records)
        for name, value in flags.items():
            check_bool(value, f'FeatureDistiller({name}=...)')
        if teacher_ckpt is None and not untrained_teacher:
            raise ValueError(
                'FeatureDistiller has no teacher_ckpt: the teacher would be '
                'randomly initialised. Set model.teacher_ckpt to the '
                "teacher's checkpoint (path or URL, e.g. --cfg-options "
                'model.teacher_ckpt=/path/to/teacher.pth), or set '
                'model.untrained_teacher=True to distil from an untrained '
                'teacher on purpose.')
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
        # teacher record name -> 0-dim "all finite" flag taken when the
        # record was released (read only when a loss is not finite)
        self._released_teacher_finite: Dict[str, torch.Tensor] = {}
        self._fingerprint: Optional[str] = None

        checkpoint = None
        if teacher_ckpt is not None:
            checkpoint = read_checkpoint(teacher_ckpt)
            load_strict(self.teacher, teacher_weights(checkpoint,
                                                      teacher_ckpt),
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

        self.connectors = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in (connectors or {}).items()
        })
        for connector in self.connectors.values():
            if hasattr(connector, 'prepare'):
                connector.prepare(self.student, self.teacher,
                                  teacher_checkpoint=checkpoint)
        del checkpoint  # read once, used by the teacher and the connectors

        distill_losses = distill_losses or {}
        loss_forward_mappings = loss_forward_mappings or {}
        for name in distill_losses:
            if 'loss' not in name or name == 'loss':
                raise KeyError(
                    f'Distillation loss name {name!r} must contain "loss" '
                    f'(MMEngine only optimises keys containing "loss") and '
                    f'must not be "loss" itself (MMEngine logs the total '
                    f'under that key): rename it, e.g. to "loss_{name}" or '
                    f'"loss_distill".')
        unmapped = set(distill_losses) ^ set(loss_forward_mappings)
        if unmapped:
            raise KeyError(f'Every loss in distill_losses needs an entry in '
                           f'loss_forward_mappings and vice versa; unmatched: '
                           f'{sorted(unmapped)}.')
        self.distill_losses = nn.ModuleDict({
            name: MODELS.build(cfg)
            for name, cfg in distill_losses.items()
        })
        managers = dict(student_recorders=self.student_recorders,
                        teacher_recorders=self.teacher_recorders,
                        connectors=self.connectors)
        self.loss_arguments: Dict[str, Dict[str, LossArgument]] = {
            name:
            build_loss_arguments(name, self.distill_losses[name],
                                 loss_forward_mappings[name], **managers)
            for name in self.distill_losses
        }
        self.schedules = self._build_schedules(schedules or {})

    def _build_schedules(self, schedules: dict) -> list:
        """``[(loss, attribute, schedule, configured value)]``."""
        built = []
        for name, attributes in schedules.items():
            if name not in self.distill_losses:
                raise KeyError(
                    f'schedules.{name}: no such loss in distill_losses '
                    f'(defined: {sorted(self.distill_losses)}).')
            loss = self.distill_losses[name]
            for attribute, cfg in attributes.items():
                if not isinstance(getattr(loss, attribute, None),
                                  (int, float)):
                    raise AttributeError(
                        f'schedules.{name}.{attribute}: '
                        f'{type(loss).__name__} has no numeric attribute '
                        f'{attribute!r} to schedule.')
                built.append((loss, attribute, TASK_UTILS.build(cfg),
                              float(getattr(loss, attribute))))
        return built

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
        self.teacher.eval()
        if mode and not self.teacher_norm_eval:
            for module in self.teacher.modules():
                if isinstance(module, _BatchNorm):
                    module.train()
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

    def record(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
               student: bool = True, teacher: bool = True) -> Optional[dict]:
        """Run the teacher (``teacher_forward_mode``, no gradient, first)
        and the student (``loss`` mode) with their recorders on, as a
        training step does. Returns the student's task losses (None when
        the student did not run)."""
        if teacher and self.teacher_recorders.recorders:
            with torch.no_grad(), self.teacher_recorders:
                self.teacher(self.teacher_inputs(inputs), data_samples,
                             mode=self.teacher_forward_mode)
        if not student:
            return None
        with self.student_recorders:
            return dict(self.student(inputs, data_samples, mode='loss'))

    def loss_inputs(
        self, loss_names: Optional[Sequence[str]] = None,
        arg_names: Optional[Sequence[str]] = None
    ) -> Dict[str, Dict[str, Any]]:
        """The arguments of the named losses for the last recorded forward:
        ``loss name -> {argument -> value}`` (recorded values through their
        connectors; a value shared by several arguments is computed once).

        Args:
            loss_names (Sequence[str], optional): Losses (default: all).
            arg_names (Sequence[str], optional): Only these arguments of
                each loss (default: all).
        """
        return dict(self._iter_loss_inputs(loss_names, arg_names))

    def _iter_loss_inputs(self, loss_names: Optional[Sequence[str]] = None,
                          arg_names: Optional[Sequence[str]] = None,
                          release: bool = False):
        """Yield ``(loss name, {argument -> value})`` in order. With
        ``release``, values no later loss reads are dropped from the shared
        cache, and (``release_records``) records no later loss reads from
        their recorders, before the loss that reads them is yielded (its
        arguments hold what it needs; the caller evaluates it before the
        next loss's inputs are computed): a training step then does not hold
        every loss's connector outputs at once, nor a record a connector has
        already mapped."""
        names = list(
            self.distill_losses) if loss_names is None else list(loss_names)
        unknown = [n for n in names if n not in self.loss_arguments]
        if unknown:
            raise KeyError(f'No distillation loss {unknown}; defined: '
                           f'{sorted(self.loss_arguments)}.')
        wanted = {
            name: [
                a for a in self.loss_arguments[name]
                if arg_names is None or a in arg_names
            ]
            for name in names
        }
        cache: dict = {}
        for position, name in enumerate(names):
            arguments = self.loss_arguments[name]
            values = {}
            for arg in wanted[name]:
                argument = arguments[arg]
                key = argument.key()
                if key not in cache:
                    cache[key] = argument.compute(self.student_recorders,
                                                  self.teacher_recorders,
                                                  self.connectors, cache)
                values[arg] = cache[key]
            if release:  # ``values`` holds what this loss reads
                later_args = [
                    self.loss_arguments[n][a] for n in names[position + 1:]
                    for a in wanted[n]
                ]
                later = {
                    k
                    for a in later_args
                    for k in (a.key(), a.connector_key())
                }
                for key in [k for k in cache if k not in later]:
                    del cache[key]
                if self.release_records:
                    self._release_records([arguments[a] for a in wanted[name]],
                                          later_args)
            yield name, values
            values = None  # the caller's loss holds what backward needs

    def _release_records(self, read: Sequence[LossArgument],
                         later: Sequence[LossArgument]) -> None:
        """Release the records ``read`` that no ``later`` argument reads."""
        kept = {a.record_key() for a in later}
        for record in {a.record_key() for a in read} - kept - {None}:
            from_student, name = record
            if from_student:
                self.student_recorders.release(name)
                continue
            if self.check_finite:  # a flag, no device sync
                self._released_teacher_finite[name] = _all_finite(
                    self.teacher_recorders.get(name))
            self.teacher_recorders.release(name)

    def compute_loss_inputs(
        self, inputs: torch.Tensor, data_samples: Optional[list],
        loss_names: Sequence[str], arg_names: Optional[Sequence[str]] = None
    ) -> Dict[str, Dict[str, Any]]:
        """Run the models a training step runs for the requested arguments
        (the student only when one of them is recorded on it) and return
        them (see :meth:`loss_inputs`). Models run in their current modes;
        call under ``torch.no_grad()`` for statistics."""
        reads = [
            argument for name in loss_names
            for arg, argument in self.loss_inputs_spec(name).items()
            if arg_names is None or arg in arg_names
        ]
        self.record(inputs, data_samples,
                    student=any(a.reads_student for a in reads),
                    teacher=any(a.reads_teacher for a in reads))
        return self.loss_inputs(loss_names, arg_names)

    def loss_inputs_spec(self, loss_name: str) -> Dict[str, LossArgument]:
        """The configured arguments of ``loss_name`` (read only)."""
        if loss_name not in self.loss_arguments:
            raise KeyError(f'No distillation loss {loss_name!r}; defined: '
                           f'{sorted(self.loss_arguments)}.')
        return dict(self.loss_arguments[loss_name])

    def detach_records(self, student_requires_grad: bool = True) -> None:
        """Cut the last records from the models' graphs (detached copies;
        the student's require grad when ``student_requires_grad``), so that
        :meth:`compute_distill_losses` and its backward run the method's
        modules alone (benchmarks)."""
        self.student_recorders.detach(student_requires_grad)
        self.teacher_recorders.detach(False)

    # ------------------------------------------------------------------
    # losses
    def loss(self, inputs: torch.Tensor,
             data_samples: Optional[list] = None) -> Dict[str, torch.Tensor]:
        """Student task losses plus one entry per distillation loss."""
        self._apply_schedules()
        losses = self.record(inputs, data_samples)
        if 'loss' in losses:
            # mmpretrain's head calls its cross-entropy 'loss', which would
            # hide MMEngine's total (also 'loss') in the logs
            losses['loss_student'] = losses.pop('loss')
        losses.update(self.compute_distill_losses(losses))
        if self.check_finite:
            self._check_finite(losses)
        return losses

    def _apply_schedules(self) -> None:
        """Set every scheduled attribute for the current epoch/iteration
        (MMEngine's RuntimeInfoHook keeps them in the message hub)."""
        if not self.schedules:
            return
        hub = MessageHub.get_current_instance()
        for loss, attribute, schedule, configured in self.schedules:
            unit = 'epoch' if schedule.by_epoch else 'iter'
            step = hub.get_info(unit)
            total = hub.get_info(f'max_{unit}s')
            if step is None:  # outside a Runner: the configured value
                continue
            setattr(loss, attribute, schedule.value(step, total, configured))

    def _check_finite(self, losses: Dict[str, torch.Tensor]) -> None:
        """Stop on a NaN/inf loss, naming it and the iteration, before the
        backward pass trains on garbage (one device sync for all losses).
        A broken teacher is told apart by its records (or, for records
        ``release_records`` dropped, the flags taken when they were)."""
        checks = [
            (name, v) for name, value in losses.items() if 'loss' in name
            for v in (value if isinstance(value, (list, tuple)) else [value])
            if isinstance(v, torch.Tensor)
        ]
        finite = [torch.isfinite(v.detach()).all() for _, v in checks]
        if finite and len({f.device
                           for f in finite}) == 1 and bool(
                               torch.stack(finite).all()):
            return
        hub = MessageHub.get_current_instance()
        where = f'at iteration {hub.get_info("iter", "?")}'
        broken = self._non_finite_teacher_records()
        for (name, v), ok in zip(checks, finite):
            if ok:
                continue
            value = v.detach().flatten()[:4].tolist()
            if broken:
                raise FloatingPointError(
                    f'Loss {name!r} is {value} {where}: the teacher\'s '
                    f'recorded features {broken} are already NaN/inf, so the '
                    f'teacher is broken, not the training: check '
                    f'teacher_ckpt ({self.teacher_ckpt!r}) and that the '
                    f'teacher config matches it.')
            raise FloatingPointError(
                f'Loss {name!r} is {value} {where}: stopping instead of '
                f'training on it. Lower the lr or this loss\'s '
                f'loss_weight, or check its inputs (set check_finite=False '
                f'to skip this check).')

    def _non_finite_teacher_records(self) -> List[str]:
        """Names of the teacher recorders whose last value holds NaN/inf."""
        broken = []
        for name in self.teacher_recorders.recorders:
            try:
                finite = _all_finite(self.teacher_recorders.get(name))
            except RuntimeError:  # released (or not recorded)
                finite = self._released_teacher_finite.get(name)
                if finite is None:
                    continue
            if not bool(finite):
                broken.append(name)
        return broken

    def compute_distill_losses(
            self,
            task_losses: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        """Evaluate every distillation loss on the last recorded forward."""
        for name in self.distill_losses:
            if task_losses and name in task_losses:
                raise KeyError(
                    f'Distillation loss {name!r} has the name of a task loss '
                    f'of the student; rename it in the config.')
        results = {}
        # one loss at a time: the inputs only later losses need are not
        # computed yet, and those no later loss needs are released
        for name, kwargs in self._iter_loss_inputs(release=True):
            loss = self.distill_losses[name]
            self._check_shapes(name, loss, self.loss_arguments[name], kwargs)
            results[name] = loss(**kwargs)
            del kwargs
        return results

    # ------------------------------------------------------------------
    # checkpoints
    def _load_from_state_dict(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """``load_from`` with an exported (plain) student checkpoint loads it
        into the student; a distiller checkpoint whose teacher differs from
        the configured one replaces it, with a warning.

        A plain checkpoint whose names match the student's but whose shapes
        mostly do not (under 90% of the name-matched tensors, e.g. the
        wider teacher's checkpoint) is an error: MMEngine would skip every
        mismatch and train the student from its initialisation.

        Raises:
            ValueError: a plain checkpoint of another width or
                architecture; the message lists the first mismatches.
        """
        own = [k for k in state_dict if k.startswith(prefix)]
        if own and not any(k[len(prefix):].startswith(_DISTILLER_PREFIXES)
                           for k in own):
            student = self.student.state_dict()
            plain = [k for k in own if k[len(prefix):] in student]
            other_shapes = [
                f'{k[len(prefix):]}: checkpoint {tuple(state_dict[k].shape)}'
                f', student {tuple(student[k[len(prefix):]].shape)}'
                for k in plain if isinstance(state_dict[k], torch.Tensor)
                and state_dict[k].shape != student[k[len(prefix):]].shape
            ]
            fit = len(plain) - len(other_shapes)
            if plain and fit < 0.9 * len(plain):
                raise ValueError(
                    f'The checkpoint holds a plain model whose tensor names '
                    f'match the student\'s but whose shapes do not: only '
                    f'{fit} of the {len(plain)} name-matched tensors have '
                    f'the student\'s shape (first mismatches: '
                    f'{"; ".join(other_shapes[:5])}). It is a checkpoint of '
                    f'another width or architecture (e.g. the teacher\'s); '
                    f'loading it would leave the student at its '
                    f'initialisation. Give load_from a checkpoint of the '
                    f'student\'s own config (tools/export_student.py '
                    f'writes one from a distillation run), or remove '
                    f'load_from.')
            if plain:
                skipped = (f'; the {len(other_shapes)} of other shapes are '
                           f'skipped' if other_shapes else '')
                print_log(
                    f'The checkpoint holds a plain model ({fit} of its '
                    f'{len(own)} tensors match the student\'s weights in '
                    f'name and shape{skipped}): loading it into the '
                    f'student.', logger='current')
                for key in own:
                    state_dict[f'{prefix}student.{key[len(prefix):]}'] = \
                        state_dict.pop(key)
        teacher = {
            k[len(prefix) + len('teacher.'):]: v
            for k, v in state_dict.items() if k.startswith(prefix + 'teacher.')
        }
        if teacher:
            current = self.teacher.state_dict()
            differ = [
                k for k, v in teacher.items()
                if k in current and isinstance(v, torch.Tensor) and (
                    v.shape != current[k].shape
                    or not torch.equal(v.cpu(), current[k].cpu()))
            ]
            if differ:
                print_log(
                    f'The checkpoint replaces the teacher loaded from '
                    f'teacher_ckpt ({self.teacher_ckpt!r}): {len(differ)} '
                    f'teacher tensors differ (e.g. {differ[0]!r}). To keep '
                    f'the configured teacher, load a student checkpoint '
                    f'(tools/export_student.py) instead.', logger='current',
                    level=30)
                self._fingerprint = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_shapes(self, name: str, loss: nn.Module, arguments: dict,
                      kwargs: dict) -> None:
        """Stop when two paired arguments of a loss (``paired_args``)
        differ in shape, naming the cause and the fix: logits of different
        class counts (no connector fixes that), a connector that maps the
        student to another width than the teacher's (a preset's
        ``teacher_channels``), or a missing connector.

        Args:
            name (str): The loss's name in ``distill_losses``.
            loss (nn.Module): The loss.
            arguments (dict): Its configured arguments
                (:class:`LossArgument`).
            kwargs (dict): Its computed arguments.

        Raises:
            ValueError: paired arguments of different shapes.
        """
        # the presets that build each connector type, for the fix
        presets = dict(ProjectorEnsembleConnector='pefd',
                       EmbeddingTransformConnector='nd',
                       OFDStudentConnector='ofd', ConvConnector='feature_mse')

        def source(argument: LossArgument) -> str:
            if argument.attribute is not None:
                return ''
            manager = self.student_recorders if argument.from_student else \
                self.teacher_recorders
            recorder = manager.recorders.get(argument.recorder)
            return str(getattr(recorder, 'source', ''))

        for first, second in getattr(loss, 'paired_args', ()):
            if first not in kwargs or second not in kwargs:
                continue
            a, b = kwargs[first], kwargs[second]
            if not isinstance(a, torch.Tensor) or not isinstance(
                    b, torch.Tensor) or a.shape == b.shape:
                continue
            problem = (f'Loss {name!r} ({type(loss).__name__}) needs '
                       f'{first} and {second} of the same shape, got '
                       f'{tuple(a.shape)} from {arguments[first].describe()}'
                       f' and {tuple(b.shape)} from '
                       f'{arguments[second].describe()}. ')
            s_arg, t_arg, s, t = arguments[first], arguments[second], a, b
            if s_arg.reads_teacher and not t_arg.reads_teacher:
                s_arg, t_arg, s, t = t_arg, s_arg, b, a
            # only the channels (dim 1) differ
            channels = (s.dim() >= 2 and s.dim() == t.dim()
                        and s.shape[0] == t.shape[0]
                        and s.shape[2:] == t.shape[2:])
            read_fc = all(
                source(x).split('.')[-1] == 'fc' for x in (s_arg, t_arg))
            named = 'logits' in first and 'logits' in second
            logits = named or (s.dim() == t.dim() == 2 and read_fc)
            connector = self.connectors[s_arg.connector] if \
                s_arg.reads_student and s_arg.connector is not None else None
            if channels and logits:
                fix = (
                    f'These are logits of different class counts: the '
                    f'teacher has {t.shape[1]} classes and the student '
                    f'{s.shape[1]}, which no connector maps onto each other. '
                    f'Teacher and student must be trained on the same '
                    f'classes: num_classes must match (e.g. the student\'s '
                    f'head num_classes={t.shape[1]}, or a teacher trained on '
                    f'the student\'s {s.shape[1]} classes).')
            elif channels and connector is not None:
                preset = presets.get(type(connector).__name__)
                give = (f'Give the preset the teacher\'s width: {preset}(..., '
                        f'teacher_channels={t.shape[1]})' if preset else
                        f'Give the teacher\'s width (in a preset: '
                        f'teacher_channels={t.shape[1]})')
                fix = (
                    f'Connector {s_arg.connector!r} '
                    f'({type(connector).__name__}) maps the student to '
                    f'{s.shape[1]} channels but the teacher\'s feature has '
                    f'{t.shape[1]}: the teacher width given to it is wrong. '
                    f'{give} (by hand: its out_channels={t.shape[1]}); '
                    f'`python tools/inspect_pair.py CONFIG` lists every '
                    f'module\'s output shape.')
            elif channels:
                fix = (
                    f'The student\'s feature has {s.shape[1]} channels and '
                    f'the teacher\'s {t.shape[1]}, and no connector maps '
                    f'one onto the other. With a preset, give the models\' '
                    f'widths (student_channels={s.shape[1]}, '
                    f'teacher_channels={t.shape[1]}): it adds the connector '
                    f'where they differ; by hand, add a connector on the '
                    f'student (e.g. ConvConnector for maps).')
            else:
                fix = ('Add or fix a connector that maps one onto the other '
                       '(e.g. ResizeConnector for sizes, ConvConnector for '
                       'channels), or record other positions; `python '
                       'tools/inspect_pair.py CONFIG` lists every module\'s '
                       'output shape.')
            raise ValueError(problem + fix)

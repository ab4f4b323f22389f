"""Paired loss arguments of different shapes: the cause and the fix."""
import torch
from torch import nn

from ..recorders import RecorderManager
from .loss_argument import LossArgument


def check_paired_shapes(name: str, loss: nn.Module, arguments: dict,
                        kwargs: dict, connectors: nn.ModuleDict,
                        student_recorders: RecorderManager,
                        teacher_recorders: RecorderManager) -> None:
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
        connectors (nn.ModuleDict): The distiller's connectors.
        student_recorders (RecorderManager): The student's recorders.
        teacher_recorders (RecorderManager): The teacher's recorders.

    Raises:
        ValueError: paired arguments of different shapes.
    """
    # the presets that build each connector type, for the fix
    presets = dict(ProjectorEnsembleConnector='pefd',
                   EmbeddingTransformConnector='nd', OFDStudentConnector='ofd',
                   ConvConnector='feature_mse')

    def source(argument: LossArgument) -> str:
        if argument.attribute is not None:
            return ''
        manager = student_recorders if argument.from_student else \
            teacher_recorders
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
        read_fc = all(source(x).split('.')[-1] == 'fc' for x in (s_arg, t_arg))
        named = 'logits' in first and 'logits' in second
        logits = named or (s.dim() == t.dim() == 2 and read_fc)
        connector = connectors[s_arg.connector] if \
            s_arg.reads_student and s_arg.connector is not None else None
        if channels and logits:
            fix = (f'These are logits of different class counts: the '
                   f'teacher has {t.shape[1]} classes and the student '
                   f'{s.shape[1]}, which no connector maps onto each other. '
                   f'Teacher and student must be trained on the same '
                   f'classes: num_classes must match (e.g. the student\'s '
                   f'head num_classes={t.shape[1]}, or a teacher trained on '
                   f'the student\'s {s.shape[1]} classes).')
        elif channels and connector is not None:
            preset = presets.get(type(connector).__name__)
            give = (f'Give the preset the teacher\'s width: {preset}(..., '
                    f'teacher_channels={t.shape[1]})'
                    if preset else f'Give the teacher\'s width (in a preset: '
                    f'teacher_channels={t.shape[1]})')
            fix = (f'Connector {s_arg.connector!r} '
                   f'({type(connector).__name__}) maps the student to '
                   f'{s.shape[1]} channels but the teacher\'s feature has '
                   f'{t.shape[1]}: the teacher width given to it is wrong. '
                   f'{give} (by hand: its out_channels={t.shape[1]}); '
                   f'`python tools/inspect_pair.py CONFIG` lists every '
                   f'module\'s output shape.')
        elif channels:
            fix = (f'The student\'s feature has {s.shape[1]} channels and '
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

"""PEFD (Chen et al., NeurIPS 2022) as a preset."""
from typing import List, Optional, Sequence, Union

from ._base import (Method, as_list, check_same_length, distiller, position,
                    recorders_of)


def pefd(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
         student_channels: Union[int, Sequence[int]],
         teacher_channels: Union[int, Sequence[int]],
         positions: Optional[Sequence[dict]] = None,
         teacher_positions: Optional[Sequence[dict]] = None,
         position_names: Optional[List[str]] = None, alpha: float = 25.0,
         num_projectors: int = 3, dense: bool = False,
         hooks: Sequence[dict] = (), replace_base: bool = False) -> Method:
    """PEFD: an ensemble of projectors and a direction alignment per
    position, no KD term, teacher in eval mode.

    The student's feature at each position goes through an ensemble of
    ``num_projectors`` Linear+ReLU projectors to the teacher's width; the
    loss is ``DirectionAlignmentLoss`` against the teacher's feature there.
    Classification (default): one position, the classifier's neck (global
    average pooling), ``alpha`` as the paper. Maps (``dense``: detection,
    segmentation): the projectors run as 1x1 convolutions and the cosine is
    taken at every position. ``alpha`` is the total, split equally over
    the positions (so the loss has the classification range).

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        student_channels (int | Sequence[int]): Student width per position.
        teacher_channels (int | Sequence[int]): Teacher width per position.
        positions (Sequence[dict], optional): Recorder configs per position
            (see :func:`mmfeatdistill.presets.position`), used on both
            models. Defaults to the neck's first output
            (``position('neck', 0)``: a classifier's pooled embedding).
        teacher_positions (Sequence[dict], optional): The teacher's, when
            its module paths differ.
        position_names (list[str], optional): Names of the positions (in
            loss and connector names). Defaults to none for one position
            (``loss_pefd``), else ``0 .. N-1``.
        alpha (float): Total loss weight. Defaults to 25.0.
        num_projectors (int): Projectors per ensemble. Defaults to 3.
        dense (bool): The positions are maps compared at every position
            (detection, segmentation); else (B, C, H, W) features are
            pooled first. Defaults to False.
        hooks (Sequence[dict]): Hooks for ``custom_hooks`` (the task's).
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    positions = list(positions or [position('neck', 0)])
    teacher_positions = list(teacher_positions or positions)
    num = check_same_length('pefd', positions=positions,
                            teacher_positions=teacher_positions)
    s_widths = as_list(student_channels, num, 'student_channels', 'pefd')
    t_widths = as_list(teacher_channels, num, 'teacher_channels', 'pefd')
    single = num == 1 and position_names is None
    names = ['feat'
             ] if single else [str(n) for n in (position_names or range(num))]
    check_same_length('pefd', positions=positions, position_names=names)
    s_recorders, s_reads = recorders_of(positions, names)
    t_recorders, t_reads = recorders_of(teacher_positions, names)

    def suffix(name: str) -> str:
        return '' if single else f'_{name}'

    model = distiller(
        teacher=teacher,
        student=student,
        teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=True,  # PEFD: teacher in eval mode
        replace_base=replace_base,
        student_recorders=s_recorders,
        teacher_recorders=t_recorders,
        connectors={
            f'projector{suffix(n)}':
            dict(type='ProjectorEnsembleConnector', in_channels=cs,
                 out_channels=ct, num_projectors=num_projectors, act='relu',
                 pool_maps=not dense)
            for n, cs, ct in zip(names, s_widths, t_widths)
        },
        distill_losses={
            f'loss_pefd{suffix(n)}':
            dict(type='DirectionAlignmentLoss', loss_weight=alpha / num)
            for n in names
        },
        loss_forward_mappings={
            f'loss_pefd{suffix(n)}':
            dict(
                s_feature=dict(from_student=True,
                               connector=f'projector{suffix(n)}', **sr),
                t_feature=dict(from_student=False, **tr))
            for n, sr, tr in zip(names, s_reads, t_reads)
        },
    )
    return Method(model, list(hooks))

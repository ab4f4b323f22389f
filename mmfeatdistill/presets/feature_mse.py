"""Feature MSE (FitNets, Romero et al., 2015) as a preset: the reference
row of feature distillation."""
from typing import List, Optional, Sequence, Union

from ._base import Method, as_list, check_same_length, distiller, recorders_of


def feature_mse(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
                positions: Sequence[dict],
                student_channels: Union[int, Sequence[int]],
                teacher_channels: Union[int,
                                        Sequence[int]], weight: float = 1.0,
                teacher_positions: Optional[Sequence[dict]] = None,
                position_names: Optional[List[str]] = None,
                hooks: Sequence[dict] = (),
                replace_base: bool = False) -> Method:
    """``FeatureMSELoss`` between the student's features, mapped to the
    teacher's widths by a regressor (FitNets' hint: a 1x1 conv + BN,
    ``ConvConnector``), and the teacher's, at each position; teacher in
    eval mode; ``weight`` split equally over the positions.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        positions (Sequence[dict]): Recorder configs (see
            :func:`mmfeatdistill.presets.position`), used on both models.
        student_channels (int | Sequence[int]): Student width per position.
        teacher_channels (int | Sequence[int]): Teacher width per position.
        weight (float): Total loss weight. Defaults to 1.0.
        teacher_positions (Sequence[dict], optional): The teacher's, when
            its module paths differ.
        position_names (list[str], optional): Names of the positions.
            Defaults to ``0 .. N-1``.
        hooks (Sequence[dict]): Hooks for ``custom_hooks`` (the task's).
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    positions = list(positions)
    teacher_positions = list(teacher_positions or positions)
    num = check_same_length('feature_mse', positions=positions,
                            teacher_positions=teacher_positions)
    s_widths = as_list(student_channels, num, 'student_channels',
                       'feature_mse')
    t_widths = as_list(teacher_channels, num, 'teacher_channels',
                       'feature_mse')
    names = [str(n) for n in (position_names or range(num))]
    check_same_length('feature_mse', positions=positions, position_names=names)
    s_recorders, s_reads = recorders_of(positions, names)
    t_recorders, t_reads = recorders_of(teacher_positions, names)
    model = distiller(
        teacher=teacher, student=student, teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=True, replace_base=replace_base,
        student_recorders=s_recorders, teacher_recorders=t_recorders,
        connectors={
            f'regressor_{n}':
            dict(type='ConvConnector', in_channels=cs, out_channels=ct,
                 norm_cfg=dict(type='BN'))
            for n, cs, ct in zip(names, s_widths, t_widths)
        }, distill_losses={
            f'loss_mse_{n}': dict(type='FeatureMSELoss',
                                  loss_weight=weight / num)
            for n in names
        }, loss_forward_mappings={
            f'loss_mse_{n}':
            dict(
                s_feature=dict(from_student=True, connector=f'regressor_{n}',
                               **sr), t_feature=dict(from_student=False, **tr))
            for n, sr, tr in zip(names, s_reads, t_reads)
        })
    return Method(model, list(hooks))

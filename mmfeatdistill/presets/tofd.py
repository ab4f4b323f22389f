"""TOFD's model block (Zhang et al., NeurIPS 2020) and its T schedule."""
from typing import Optional, Sequence

from ._checks import check_same_length


def tofd_distiller(*,
                   teacher: dict,
                   student: dict,
                   teacher_ckpt: str,
                   student_stages: Sequence[str],
                   teacher_stages: Sequence[str],
                   num_classes: int,
                   labels: Optional[dict] = None,
                   samples_source: str = 'head.loss',
                   alpha: float = 0.05,
                   beta: float = 0.03,
                   dense: bool = False,
                   ce_loss: Optional[dict] = None,
                   kd_loss: Optional[dict] = None) -> dict:
    """A ``FeatureDistiller`` config for TOFD with a head on every stage.

    Head ``k`` (1-based) is a ``TOFDAuxHead`` on student stage ``k`` with a
    link to the teacher's last stage width, and its trained counterpart on
    the teacher (loaded from ``teacher_ckpt``, step 1's output). Per head:
    ``loss_tofd_feat{k}`` (``FrobeniusDistanceLoss(alpha)`` on the linked
    student feature and the teacher head's feature), ``loss_tofd_ce{k}``
    (the head's own task), ``loss_tofd_kd{k}`` (soft targets; pair it with
    :func:`tofd_temperature_hook`) and ``loss_tofd_orth{k}``
    (``OrthogonalLoss(beta)`` on the link). The teacher's BN uses batch
    statistics (TOFD's code never calls ``teacher.eval()``).

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint holding the trained heads
            (``tools/train_tofd_teacher_heads.py``).
        student_stages (Sequence[str]): Student module paths, one per head.
        teacher_stages (Sequence[str]): Teacher module paths, same order.
        num_classes (int): Classes of the heads' task.
        labels (dict, optional): Connector turning the recorded data
            samples into the heads' targets. Defaults to
            ``GTLabelConnector`` (classification).
        samples_source (str): Method whose input 1 holds the data samples.
            Defaults to ``'head.loss'``.
        alpha (float): Feature-distance weight. Defaults to 0.05.
        beta (float): Orthogonal-loss weight. Defaults to 0.03.
        dense (bool): Per-pixel heads (segmentation). Defaults to False.
        ce_loss (dict, optional): Extra keys of each
            ``LabelCrossEntropyLoss`` (e.g. ``ignore_index=255``).
        kd_loss (dict, optional): Extra keys of each
            ``SoftCrossEntropyLoss`` (e.g. ``multi_label=True``).

    Returns:
        dict: The ``model`` config.
    """
    num = check_same_length('tofd_distiller', student_stages=student_stages,
                            teacher_stages=teacher_stages)
    heads = range(1, num + 1)
    dense_arg = dict(dense=True) if dense else {}

    def head(k: int, side: str) -> dict:
        stages = student_stages if side == 'student' else teacher_stages
        cfg = dict(type='TOFDAuxHead', stages=list(stages),
                   stage_index=k - 1, num_classes=num_classes, side=side)
        if side == 'student':
            cfg.update(link_to=teacher_stages[-1])
        else:
            cfg.update(from_teacher_ckpt=True)
        return dict(cfg, **dense_arg)

    def output(side: str, k: int, index: int) -> dict:
        return dict(from_student=side == 'student', recorder=f'stage{k}',
                    connector=f'{side[0]}_head{k}', output_index=index)

    losses, mappings = {}, {}
    for k in heads:
        losses.update({
            f'loss_tofd_feat{k}':
            dict(type='FrobeniusDistanceLoss', loss_weight=alpha),
            f'loss_tofd_ce{k}':
            dict(type='LabelCrossEntropyLoss', **(ce_loss or {})),
            f'loss_tofd_kd{k}':
            dict(type='SoftCrossEntropyLoss', **(kd_loss or {})),
            f'loss_tofd_orth{k}':
            dict(type='OrthogonalLoss', loss_weight=beta)
        })
        mappings.update({
            f'loss_tofd_feat{k}':
            dict(s_feature=output('student', k, 2),
                 t_feature=output('teacher', k, 0)),
            f'loss_tofd_ce{k}':
            dict(logits=output('student', k, 1),
                 labels=dict(from_student=True, recorder='samples',
                             connector='labels')),
            f'loss_tofd_kd{k}':
            dict(s_logits=output('student', k, 1),
                 t_logits=output('teacher', k, 1)),
            f'loss_tofd_orth{k}':
            dict(weight=dict(connector=f's_head{k}', attribute='link_weight'))
        })
    return dict(
        type='FeatureDistiller',
        teacher=teacher,
        teacher_ckpt=teacher_ckpt,
        student=student,
        teacher_norm_eval=False,  # TOFD's code never calls teacher.eval()
        student_recorders=dict(
            samples=dict(type='MethodInputRecorder', source=samples_source,
                         arg_index=1),
            **{f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
               for k, p in zip(heads, student_stages)}),
        teacher_recorders={
            f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
            for k, p in zip(heads, teacher_stages)},
        connectors=dict(
            labels=labels or dict(type='GTLabelConnector'),
            **{f's_head{k}': head(k, 'student') for k in heads},
            **{f't_head{k}': head(k, 'teacher') for k in heads}),
        distill_losses=losses,
        loss_forward_mappings=mappings,
    )


def tofd_temperature_hook(num_heads: int,
                          start: float = 1.0,
                          delta: float = 3.0,
                          by_epoch: bool = True) -> dict:
    """TOFD's rising temperature ``T = start + delta * progress`` on every
    head's soft targets (``loss_tofd_kd1 .. loss_tofd_kd{num_heads}``).

    Args:
        num_heads (int): Heads of :func:`tofd_distiller`.
        start (float): T at the start. Defaults to 1.0.
        delta (float): Rise of T over the run. Defaults to 3.0 (T 1 -> 4).
        by_epoch (bool): Progress ``(epoch + 1) / max_epochs``, else
            ``(iter + 1) / max_iters``. Defaults to True.

    Returns:
        dict: A ``TemperatureScheduleHook`` config for ``custom_hooks``.
    """
    return dict(type='TemperatureScheduleHook',
                loss_names=[f'loss_tofd_kd{k}'
                            for k in range(1, num_heads + 1)],
                start=start, delta=delta, by_epoch=by_epoch)

"""TOFD (Zhang et al., NeurIPS 2020) as a preset."""
from typing import Optional, Sequence, Tuple

from ._base import Method, check_same_length, distiller


def tofd(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
         student_stages: Sequence[str], teacher_stages: Sequence[str],
         num_classes: int, labels: Optional[dict] = None,
         samples_source: str = 'head.loss', alpha: float = 0.05,
         beta: float = 0.03, temperature: Tuple[float, float] = (1.0, 4.0),
         by_epoch: bool = True, dense: bool = False,
         ce_loss: Optional[dict] = None, kd_loss: Optional[dict] = None,
         head_weight: float = 1.0, anchors: Optional[Sequence[int]] = None,
         targets_source: str = 'bbox_head.get_targets', neg_pos_ratio: int = 3,
         student_channels: Optional[Sequence[int]] = None,
         teacher_channels: Optional[Sequence[int]] = None,
         hooks: Sequence[dict] = (), replace_base: bool = False) -> Method:
    """TOFD with an auxiliary head on every stage.

    Head ``k`` (1-based) is a ``TOFDAuxHead`` on student stage ``k`` with a
    link to the teacher's last stage width, and its trained counterpart on
    the teacher (loaded from ``teacher_ckpt``, step 1's output). Per head:
    ``loss_tofd_feat{k}`` (``FrobeniusDistanceLoss(alpha)`` on the linked
    student feature and the teacher head's feature), ``loss_tofd_ce{k}``
    (the head's own task), ``loss_tofd_kd{k}`` (soft targets at a
    temperature rising linearly over the run, TOFD's ``1 + 3 * progress``)
    and ``loss_tofd_orth{k}`` (``OrthogonalLoss(beta)`` on the link). The
    teacher's BN uses batch statistics (TOFD's code never calls
    ``teacher.eval()``).

    With ``anchors`` (anchor-based detection, e.g. SSD: stage k is the map
    of the head's level k - 1) each head classifies the anchors of its
    level (``TOFDAuxHead(num_anchors=...)``: the classes and the
    background at every anchor, stride-1 blocks that keep the level's
    grid). Its targets are the labels the student head's own assigner
    gives those anchors (``targets_source`` recorded, picked per level by
    ``AnchorLabelsConnector``); ``loss_tofd_ce{k}`` is
    ``AnchorCrossEntropyLoss`` (SSD's classification loss: positives plus
    ``neg_pos_ratio`` x as many hard negatives, over the positives) and
    ``loss_tofd_kd{k}`` ``AnchorKDLoss(t_square=False)`` over the same
    anchors at the scheduled temperature (its ``tau``; KL, which differs
    from TOFD's soft cross-entropy by the teacher's entropy, a constant:
    the same gradient). Feature distance and link per position, as the
    dense variant.

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
        temperature (tuple[float, float]): Temperature at the start and
            at the end of the run. Defaults to (1, 4) (TOFD).
        by_epoch (bool): The temperature rises per epoch (True) or per
            iteration (iteration-based schedules).
        dense (bool): Per-pixel heads (segmentation). Defaults to False.
        ce_loss (dict, optional): Extra keys of each
            ``LabelCrossEntropyLoss`` (e.g. ``ignore_index=255``).
        kd_loss (dict, optional): Extra keys of each
            ``SoftCrossEntropyLoss`` (e.g. ``multi_label=True``).
        head_weight (float): Weight of each head's task loss and soft
            targets. Defaults to 1 (TOFD: summed over the heads); the dense
            variants use ``1 / num_heads`` (averaged: summed, the coarse
            heads' losses swamp the segmentor's, see ``docs/methods.md``).
        anchors (Sequence[int], optional): Anchors per position of the
            head's level at each stage (one per stage, in the head's level
            order): per-anchor heads, see above. ``labels`` and
            ``samples_source`` are then not used.
        targets_source (str): The student head's method whose output
            holds the anchor labels (``anchors``). Defaults to
            ``'bbox_head.get_targets'``.
        neg_pos_ratio (int): Hard negatives per positive of the anchor
            losses (``anchors``). Defaults to 3 (SSD).
        student_channels (Sequence[int], optional): Widths of the student
            stages: the heads are built at construction (else when the
            distiller prepares them, from the models).
        teacher_channels (Sequence[int], optional): Same, teacher.
        hooks (Sequence[dict]): Hooks for ``custom_hooks`` (the task's).
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    num = check_same_length('tofd', student_stages=student_stages,
                            teacher_stages=teacher_stages)
    for name, widths in (('student_channels', student_channels),
                         ('teacher_channels', teacher_channels)):
        if widths is not None:
            check_same_length('tofd', student_stages=student_stages,
                              **{name: widths})
    if anchors is not None:
        check_same_length('tofd', student_stages=student_stages,
                          anchors=anchors)
        if labels is not None:
            raise ValueError(
                'tofd(anchors=...): the anchor heads\' targets are the '
                'labels of the student head\'s own assignment '
                '(targets_source); leave labels out.')
    heads = range(1, num + 1)
    start, end = temperature

    def head(k: int, side: str) -> dict:
        stages = student_stages if side == 'student' else teacher_stages
        widths = student_channels if side == 'student' else teacher_channels
        cfg = dict(type='TOFDAuxHead', stages=list(stages), stage_index=k - 1,
                   num_classes=num_classes, side=side)
        if side == 'student':
            cfg.update(link_to=teacher_stages[-1])
            if teacher_channels is not None:
                cfg.update(link_channels=teacher_channels[-1])
        else:
            cfg.update(from_teacher_ckpt=True)
        if widths is not None:
            cfg.update(stage_channels=list(widths))
        if anchors is not None:
            cfg.update(num_anchors=list(anchors))
        return dict(cfg, **(dict(dense=True) if dense else {}))

    def output(side: str, k: int, index: int) -> dict:
        return dict(from_student=side == 'student', recorder=f'stage{k}',
                    connector=f'{side[0]}_head{k}', output_index=index)

    if anchors is None:
        ce_type, kd_type, temperature_key = ('LabelCrossEntropyLoss',
                                             'SoftCrossEntropyLoss',
                                             'temperature')
        ce_args, kd_args = {}, {}
        label_source = 'samples', dict(type='MethodInputRecorder',
                                       source=samples_source, arg_index=1)
        connectors = dict(labels=labels or dict(type='GTLabelConnector'))
    else:
        ce_type, kd_type, temperature_key = ('AnchorCrossEntropyLoss',
                                             'AnchorKDLoss', 'tau')
        ce_args = dict(neg_pos_ratio=neg_pos_ratio)
        kd_args = dict(tau=start, neg_pos_ratio=neg_pos_ratio, t_square=False)
        label_source = 'targets', dict(type='MethodOutputRecorder',
                                       source=targets_source)
        connectors = {
            f'labels{k}': dict(type='AnchorLabelsConnector', level=k - 1)
            for k in heads
        }

    def label_read(k: int) -> dict:
        return dict(from_student=True, recorder=label_source[0],
                    connector='labels' if anchors is None else f'labels{k}')

    losses, mappings, schedules = {}, {}, {}
    for k in heads:
        losses.update({
            f'loss_tofd_feat{k}':
            dict(type='FrobeniusDistanceLoss', loss_weight=alpha),
            f'loss_tofd_ce{k}':
            dict(
                type=ce_type,
                **dict(dict(ce_args, loss_weight=head_weight), **(ce_loss
                                                                  or {}))),
            f'loss_tofd_kd{k}':
            dict(
                type=kd_type,
                **dict(dict(kd_args, loss_weight=head_weight), **(kd_loss
                                                                  or {}))),
            f'loss_tofd_orth{k}':
            dict(type='OrthogonalLoss', loss_weight=beta)
        })
        kd_inputs = dict(s_logits=output('student', k, 1),
                         t_logits=output('teacher', k, 1))
        if anchors is not None:
            kd_inputs = dict(s_scores=kd_inputs['s_logits'],
                             t_scores=kd_inputs['t_logits'],
                             labels=label_read(k))
        mappings.update({
            f'loss_tofd_feat{k}':
            dict(s_feature=output('student', k, 2),
                 t_feature=output('teacher', k, 0)),
            f'loss_tofd_ce{k}':
            dict(logits=output('student', k, 1), labels=label_read(k)),
            f'loss_tofd_kd{k}':
            kd_inputs,
            f'loss_tofd_orth{k}':
            dict(weight=dict(connector=f's_head{k}', attribute='link_weight'))
        })
        schedules[f'loss_tofd_kd{k}'] = {
            temperature_key:
            dict(type='LinearRamp', start=start, end=end, by_epoch=by_epoch)
        }
    model = distiller(
        teacher=teacher,
        student=student,
        teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=False,  # TOFD's code never calls teacher.eval()
        replace_base=replace_base,
        student_recorders=dict({label_source[0]: label_source[1]}, **{
                                    f'stage{k}':
                                    dict(type='ModuleOutputRecorder', source=p)
                                    for k, p in zip(heads, student_stages)
                                }),
        teacher_recorders={
            f'stage{k}': dict(type='ModuleOutputRecorder', source=p)
            for k, p in zip(heads, teacher_stages)
        },
        connectors=dict(connectors,
                        **{f's_head{k}': head(k, 'student')
                           for k in heads},
                        **{f't_head{k}': head(k, 'teacher')
                           for k in heads}),
        distill_losses=losses,
        loss_forward_mappings=mappings,
        schedules=schedules,
    )
    return Method(model, list(hooks))


def tofd_teacher_heads(*, teacher: dict, teacher_ckpt: Optional[str],
                       stages: Sequence[str], num_classes: int,
                       dense: bool = False, labels: Optional[dict] = None,
                       head_loss: Optional[dict] = None,
                       anchors: Optional[Sequence[int]] = None,
                       hooks: Sequence[dict] = (),
                       replace_base: bool = False) -> Method:
    """TOFD's step 1: train the auxiliary heads of the frozen, loaded
    teacher (``AuxHeadTrainer``) with the task's loss; run it with
    ``tools/train_tofd_teacher_heads.py``, which writes the teacher
    checkpoint with the heads that :func:`tofd` reads.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        teacher_ckpt (str): The teacher's trained weights.
        stages (Sequence[str]): The teacher's stages (as in :func:`tofd`).
        num_classes (int): Classes of the heads' task.
        dense (bool): Per-pixel heads (segmentation).
        labels (dict, optional): Connector turning the data samples into
            the heads' targets. Defaults to ``GTLabelConnector``.
        head_loss (dict, optional): Loss of each head. Defaults to
            ``LabelCrossEntropyLoss``.
        anchors (Sequence[int], optional): Per-anchor heads (as
            :func:`tofd`'s ``anchors``); give ``labels`` (an
            ``AnchorTargetsConnector`` with the head's anchor generator and
            assigner) and ``head_loss`` (``AnchorCrossEntropyLoss``).
        hooks (Sequence[dict]): Hooks for ``custom_hooks`` (the task's).
        replace_base (bool): Add ``_delete_=True`` (a ``_base_`` defines
            a ``model``).

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    model = dict(type='AuxHeadTrainer', model=teacher, model_ckpt=teacher_ckpt,
                 stages=list(stages), num_classes=num_classes)
    if dense or anchors is not None:
        model['head'] = dict(
            **(dict(dense=True) if dense else {}),
            **({} if anchors is None else dict(num_anchors=list(anchors))))
    if labels is not None:
        model['labels'] = labels
    if head_loss is not None:
        model['head_loss'] = head_loss
    if replace_base:
        model = dict(_delete_=True, **model)
    return Method(model, list(hooks))

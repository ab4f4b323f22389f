"""OFD (Heo et al., ICCV 2019) as a preset."""
from typing import List, Optional, Sequence, Tuple

from ._base import Method, check_same_length, distiller, recorders_of


def ofd(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
        student_positions: Sequence[dict], teacher_positions: Sequence[dict],
        student_channels: Sequence[int], teacher_channels: Sequence[int],
        teacher_bns: Sequence[Optional[str]], alpha: float,
        layer_weights: Optional[Sequence[float]] = None,
        position_names: Optional[List[str]] = None,
        connector_warmup: Optional[dict] = None, hooks: Sequence[dict] = (),
        recompute_connectors: bool = False,
        replace_base: bool = False) -> Method:
    """OFD at N pre-ReLU positions.

    Each position gets an ``OFDStudentConnector`` (1x1 conv + BN) on the
    student's feature, an ``OFDTeacherConnector`` (margin ReLU; margins from
    ``teacher_bns[i]`` or, where it is None, running estimates) on the
    teacher's, and an ``OFDLoss`` weighted ``alpha * layer_weights[i]``. The
    teacher's BN uses batch statistics, as OFD's released code.

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str): Teacher checkpoint, URL or local path.
        student_positions (Sequence[dict]): Recorder configs of the
            student's pre-ReLU features, one per position.
        teacher_positions (Sequence[dict]): The teacher's, same order.
        student_channels (Sequence[int]): Student widths per position.
        teacher_channels (Sequence[int]): Teacher widths per position.
        teacher_bns (Sequence[str | None]): Teacher BN per position whose
            statistics give the margins, or None for running estimates.
        alpha (float): OFD's distillation weight (1e-3 CIFAR, 1e-4 ImageNet
            and detection, 1e-5 segmentation in ``methods.md``).
        layer_weights (Sequence[float], optional): Per-position factors.
            Defaults to OFD's ``1 / 2 ** (N - 1 - i)`` (deepest 1).
        position_names (list[str], optional): Names of the positions in
            recorder, connector and loss names. Defaults to
            ``stage1 .. stageN``.
        connector_warmup (dict, optional): Train the connectors alone
            first (OFD on detection and segmentation): the arguments of
            ``ConnectorWarmupHook``, e.g. ``dict(warmup_iters=500)``.
        hooks (Sequence[dict]): More hooks for ``custom_hooks`` (the task's).
        recompute_connectors (bool): The student connectors recompute their
            1x1 conv's output in backward instead of keeping it (less memory
            on large maps, same values and gradients; see
            ``OFDStudentConnector``). Defaults to False.
        replace_base (bool): See :func:`distiller`.

    Returns:
        Method: ``(model, custom_hooks)``.
    """
    num = check_same_length('ofd', student_positions=student_positions,
                            teacher_positions=teacher_positions,
                            student_channels=student_channels,
                            teacher_channels=teacher_channels,
                            teacher_bns=teacher_bns)
    if layer_weights is None:
        layer_weights = [1 / 2**(num - 1 - i) for i in range(num)]
    if position_names is None:
        position_names = [f'stage{k}' for k in range(1, num + 1)]
    check_same_length('ofd', student_positions=student_positions,
                      layer_weights=layer_weights,
                      position_names=position_names)
    names = list(position_names)
    s_recorders, s_reads = recorders_of(student_positions, names)
    t_recorders, t_reads = recorders_of(teacher_positions, names)
    model = distiller(
        teacher=teacher,
        student=student,
        teacher_ckpt=teacher_ckpt,
        teacher_norm_eval=False,  # batch statistics, as OFD's released code
        replace_base=replace_base,
        student_recorders=s_recorders,
        teacher_recorders=t_recorders,
        connectors=dict(
            **{
                f's_{n}': student_connector(cs, ct, recompute_connectors)
                for n, cs, ct in zip(names, student_channels, teacher_channels)
            }, **{
                f't_{n}': teacher_connector(ct, bn)
                for n, ct, bn in zip(names, teacher_channels, teacher_bns)
            }),
        distill_losses={
            f'loss_ofd_{n}': dict(type='OFDLoss', loss_weight=alpha * w)
            for n, w in zip(names, layer_weights)
        },
        loss_forward_mappings={
            f'loss_ofd_{n}':
            dict(s_feature=dict(from_student=True, connector=f's_{n}', **sr),
                 t_feature=dict(from_student=False, connector=f't_{n}', **tr))
            for n, sr, tr in zip(names, s_reads, t_reads)
        },
    )
    method_hooks = [] if connector_warmup is None else [
        dict(type='ConnectorWarmupHook', **connector_warmup)
    ]
    return Method(model, list(hooks) + method_hooks)


def student_connector(in_channels: int, out_channels: int,
                      recompute: bool = False) -> dict:
    """OFD's student transform: 1x1 conv + BN to the teacher's width."""
    return dict(type='OFDStudentConnector', in_channels=in_channels,
                out_channels=out_channels,
                **(dict(recompute=True) if recompute else {}))


def teacher_connector(channels: int, bn: Optional[str]) -> dict:
    """OFD's teacher transform: the margin ReLU (margins from ``bn``)."""
    return dict(type='OFDTeacherConnector', channels=channels, bn=bn)


def resnet_preact_positions(blocks: Sequence[Tuple[int, int]],
                            bottleneck: bool = False,
                            prefix: str = 'backbone') -> List[dict]:
    """Recorders of OFD's pre-ReLU features at the end of ResNet blocks.

    The pre-ReLU output of an mmpretrain/mmdet/mmseg ``BasicBlock`` or
    ``Bottleneck`` is the input of its shared ``relu`` at its last call
    (call 1 of a BasicBlock, call 2 of a Bottleneck).

    Args:
        blocks (Sequence[tuple[int, int]]): ``(stage, block)`` per position,
            e.g. ``((1, 1), (2, 1), (3, 1), (4, 1))`` for ResNet-18's stage
            ends (``layer{stage}.{block}``).
        bottleneck (bool): Bottleneck blocks (ResNet-50 and deeper).
            Defaults to False (BasicBlock).
        prefix (str): Path of the ResNet in the model. Defaults to
            ``'backbone'``.

    Returns:
        list[dict]: ``ModuleInputRecorder`` configs, one per block.
    """
    call_index = 2 if bottleneck else 1
    return [
        dict(type='ModuleInputRecorder',
             source=f'{prefix}.layer{stage}.{block}.relu',
             call_index=call_index) for stage, block in blocks
    ]


def resnet_block_bns(blocks: Sequence[Tuple[int,
                                            int]], bottleneck: bool = False,
                     prefix: str = 'backbone') -> List[str]:
    """The last BN of each ResNet block: whose statistics give OFD's margins
    at :func:`resnet_preact_positions` (as OFD's released code).

    Args:
        blocks (Sequence[tuple[int, int]]): ``(stage, block)`` per position.
        bottleneck (bool): Bottleneck blocks (``bn3``), else ``bn2``.
        prefix (str): Path of the ResNet in the model.

    Returns:
        list[str]: Module paths of the BNs, one per block.
    """
    bn = 'bn3' if bottleneck else 'bn2'
    return [f'{prefix}.layer{stage}.{block}.{bn}' for stage, block in blocks]

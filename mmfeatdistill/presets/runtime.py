"""What a distillation run needs from its runtime, for pair bases built on
another package's config."""
from typing import Tuple


def distill_runtime(by_epoch: bool = True) -> Tuple[dict, dict]:
    """``default_hooks`` and ``train_cfg`` for a pair base built on an
    mmpretrain, mmdet or mmseg config: they merge into that config's own
    (``checkpoint`` keeps its interval and ``save_best``, ``train_cfg``
    its epochs), so the run gets what ``configs/_base_/distill_runtime.py``
    gives our own configs, whether it starts with ``tools/train.py``,
    ``mim train`` or ``Runner.from_cfg``::

        from mmfeatdistill.presets import distill_runtime
        default_hooks, train_cfg = distill_runtime()

    The hooks: weights-only checkpoint loading for the run
    (``SafeLoadingHook``), atomic checkpoints (``AtomicCheckpointHook``),
    the RNG states in them (``RNGStateHook``), the distillation losses'
    balance check (``LossBalanceHook``) and the optimizer-step count of
    gradient accumulation (``AccumulationInfoHook``). They live in
    ``default_hooks``, where a preset's ``custom_hooks`` cannot replace
    them.

    Args:
        by_epoch (bool): The package config trains by epoch: train with
            ``ExactResumeEpochBasedTrainLoop`` (a resume in the middle of
            an epoch continues with the batches not trained on). False
            (an iteration-based schedule) keeps the config's loop.
            Defaults to True.

    Returns:
        tuple[dict, dict]: ``default_hooks`` and ``train_cfg``.
    """
    hooks = dict(
        safe_loading=dict(type='mmfeatdistill.SafeLoadingHook'),
        checkpoint=dict(type='mmfeatdistill.AtomicCheckpointHook'),
        rng_state=dict(type='mmfeatdistill.RNGStateHook'),
        loss_balance=dict(type='mmfeatdistill.LossBalanceHook'),
        accumulation_info=dict(type='mmfeatdistill.AccumulationInfoHook'))
    loop = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop'
                ) if by_epoch else {}
    return hooks, loop

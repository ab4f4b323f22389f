"""What a distillation run needs from its runtime, for pair bases built on
another package's config."""
from typing import Optional, Tuple


def distill_runtime(by_epoch: bool = True, max_epochs: Optional[int] = None,
                    val_interval: int = 1) -> Tuple[dict, dict]:
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
        max_epochs (int, optional): For a package config whose
            ``train_cfg`` is MMEngine's shorthand ``by_epoch=True``
            (mmpretrain's schedules): MMEngine builds a loop from ``type``
            or from ``by_epoch``, never both, so the loop replaces that
            ``train_cfg`` (``_delete_``) with these epochs; children then
            set ``train_cfg = dict(max_epochs=...)`` without ``by_epoch``.
            None (default): the loop's type merges into the config's loop
            (mmdet's and our schedules name theirs).
        val_interval (int): With ``max_epochs``: epochs between
            validations. Defaults to 1.

    Returns:
        tuple[dict, dict]: ``default_hooks`` and ``train_cfg``.
    """
    hooks = dict(
        safe_loading=dict(type='mmfeatdistill.SafeLoadingHook'),
        checkpoint=dict(type='mmfeatdistill.AtomicCheckpointHook'),
        rng_state=dict(type='mmfeatdistill.RNGStateHook'),
        loss_balance=dict(type='mmfeatdistill.LossBalanceHook'),
        accumulation_info=dict(type='mmfeatdistill.AccumulationInfoHook'))
    if not by_epoch:
        return hooks, {}
    loop = dict(type='mmfeatdistill.ExactResumeEpochBasedTrainLoop')
    if max_epochs is not None:
        loop = dict(_delete_=True, **loop, max_epochs=max_epochs,
                    val_interval=val_interval)
    return hooks, loop

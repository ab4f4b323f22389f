# Runtime shared by our configs: our scope and MMEngine's usual hooks.
# (The pair bases, ../_base_/*_pair.py, set the optimizer-wrapper
# constructor that leaves the frozen teacher out of the optimizer; it
# cannot live here because the schedule bases define `optim_wrapper` too.)
default_scope = 'mmfeatdistill'

# What a run needs to train correctly comes from here, whether it starts
# with tools/train.py, mim train or Runner.from_cfg: weights-only checkpoint
# loading for the run, atomic checkpoints (the best one included), the RNG
# states in them (exact resume) and the distillation losses' balance check.
default_hooks = dict(
    safe_loading=dict(type='mmfeatdistill.SafeLoadingHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='mmfeatdistill.AtomicCheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    rng_state=dict(type='mmfeatdistill.RNGStateHook'),
    loss_balance=dict(type='mmfeatdistill.LossBalanceHook'),
    # iteration-based loss schedules count optimizer steps under
    # optim_wrapper.accumulative_counts
    accumulation_info=dict(type='mmfeatdistill.AccumulationInfoHook'),
)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(window_size=10, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)

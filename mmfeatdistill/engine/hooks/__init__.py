from .accumulation_info_hook import AccumulationInfoHook
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .class_means_hook import ClassMeansHook
from .connector_warmup_hook import ConnectorWarmupHook
from .loss_balance_hook import LossBalanceHook
from .removed_hooks import LossWeightWarmupHook, TemperatureScheduleHook
from .rng_state_hook import RNGStateHook
from .safe_loading_hook import SafeLoadingHook
from .ssd_predict_fix_hook import SSDPredictFixHook

__all__ = [
    'AccumulationInfoHook', 'AtomicCheckpointHook', 'ClassMeansHook',
    'ConnectorWarmupHook', 'LossBalanceHook', 'SSDPredictFixHook',
    'RNGStateHook', 'SafeLoadingHook', 'LossWeightWarmupHook',
    'TemperatureScheduleHook'
]

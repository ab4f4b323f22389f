from .class_means_hook import ClassMeansHook
from .connector_warmup_hook import ConnectorWarmupHook
from .loss_weight_warmup_hook import LossWeightWarmupHook
from .rng_state_hook import RNGStateHook
from .ssd_predict_fix_hook import SSDPredictFixHook
from .temperature_schedule_hook import TemperatureScheduleHook

__all__ = ['ClassMeansHook', 'ConnectorWarmupHook', 'LossWeightWarmupHook',
           'SSDPredictFixHook', 'TemperatureScheduleHook', 'RNGStateHook']

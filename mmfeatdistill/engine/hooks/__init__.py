from .connector_warmup_hook import ConnectorWarmupHook
from .ssd_predict_fix_hook import SSDPredictFixHook

__all__ = ['ConnectorWarmupHook', 'SSDPredictFixHook']

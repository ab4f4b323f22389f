from .base_distill_loss import BaseDistillLoss
from .feature_mse_loss import FeatureMSELoss
from .kd_loss import KDLoss
from .ofd_loss import OFDLoss

__all__ = ['BaseDistillLoss', 'KDLoss', 'FeatureMSELoss', 'OFDLoss']

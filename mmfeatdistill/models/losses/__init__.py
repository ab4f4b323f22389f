from .base_distill_loss import BaseDistillLoss
from .direction_alignment_loss import DirectionAlignmentLoss
from .feature_mse_loss import FeatureMSELoss
from .kd_loss import KDLoss
from .nd_loss import NDLoss
from .ofd_loss import OFDLoss

__all__ = ['BaseDistillLoss', 'KDLoss', 'FeatureMSELoss', 'OFDLoss',
           'DirectionAlignmentLoss', 'NDLoss']

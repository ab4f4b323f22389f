from .anchor_cross_entropy_loss import AnchorCrossEntropyLoss
from .anchor_kd_loss import AnchorKDLoss
from .anchor_nd_loss import AnchorNDLoss
from .base_distill_loss import BaseDistillLoss
from .dense_nd_loss import DenseNDLoss
from .direction_alignment_loss import DirectionAlignmentLoss
from .feature_mse_loss import FeatureMSELoss
from .frobenius_distance_loss import FrobeniusDistanceLoss
from .kd_loss import KDLoss
from .label_cross_entropy_loss import LabelCrossEntropyLoss
from .nd_loss import NDLoss
from .ofd_loss import OFDLoss
from .orthogonal_loss import OrthogonalLoss
from .soft_cross_entropy_loss import SoftCrossEntropyLoss

__all__ = [
    'BaseDistillLoss', 'KDLoss', 'FeatureMSELoss', 'OFDLoss',
    'DirectionAlignmentLoss', 'NDLoss', 'OrthogonalLoss',
    'FrobeniusDistanceLoss', 'SoftCrossEntropyLoss', 'LabelCrossEntropyLoss',
    'DenseNDLoss', 'AnchorNDLoss', 'AnchorKDLoss', 'AnchorCrossEntropyLoss'
]

from .aux_head_trainer import AuxHeadTrainer
from .feature_distiller import FeatureDistiller
from .loss_mapping import LossArgument, build_loss_arguments

__all__ = [
    'FeatureDistiller', 'AuxHeadTrainer', 'LossArgument',
    'build_loss_arguments'
]

from .aux_head_trainer import AuxHeadTrainer
from .feature_distiller import FeatureDistiller
from .loss_argument import LossArgument
from .loss_mapping import build_all_loss_arguments, build_loss_arguments

__all__ = [
    'FeatureDistiller', 'AuxHeadTrainer', 'LossArgument',
    'build_loss_arguments', 'build_all_loss_arguments'
]

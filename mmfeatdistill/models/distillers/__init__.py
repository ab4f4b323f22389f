from .feature_distiller import FeatureDistiller
from .loss_mapping import LossArgument, build_loss_arguments

__all__ = ['FeatureDistiller', 'LossArgument', 'build_loss_arguments']

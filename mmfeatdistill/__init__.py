"""mmfeatdistill: feature knowledge distillation for OpenMMLab 2.x models."""
from .version import __version__

__all__ = ['__version__']

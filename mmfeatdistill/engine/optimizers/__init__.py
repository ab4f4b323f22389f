from .distiller_optim_constructor import DistillerOptimWrapperConstructor

__all__ = ['DistillerOptimWrapperConstructor']

from .linear_ramp import LinearRamp

__all__ = ['LinearRamp']

from .distiller_fsdp import DistillerFSDPStrategy, ShardedDistiller

__all__ = ['DistillerFSDPStrategy', 'ShardedDistiller']

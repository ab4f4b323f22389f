"""Config presets: each method as one call that returns everything a
config needs, its model block and its hooks.

A method's distiller config (recorders, connectors, losses, the mappings
between them and the schedules of loss attributes) has the same shape for
every teacher/student pair; only the positions, widths and constants
change. A config for a new pair is the pair plus one call (old-style
MMEngine configs may import; functions are dropped from the resulting
config)::

    from mmfeatdistill.presets import pefd
    model, custom_hooks = pefd(teacher=..., teacher_ckpt=..., student=...,
                               student_channels=512, teacher_channels=2048)

The names a preset invents (losses, connectors, recorders) are its own:
the hooks it needs come with it and find what they serve by type, and the
schedules live in the model block. The returned dicts are ordinary
configs: ``--cfg-options`` can still change any key, e.g.
``model.distill_losses.loss_pefd.loss_weight=10``.
"""
from ._base import Method, position
from .feature_mse import feature_mse
from .kd import kd
from .nd import nd
from .ofd import ofd, resnet_block_bns, resnet_preact_positions
from .pefd import pefd
from .tofd import tofd, tofd_teacher_heads

__all__ = [
    'Method', 'position', 'kd', 'feature_mse', 'ofd',
    'resnet_preact_positions', 'resnet_block_bns', 'tofd',
    'tofd_teacher_heads', 'pefd', 'nd'
]

"""Config presets: the model block of each method, built from a few args.

A method's distiller config (recorders, connectors, losses and the mappings
between them) has the same shape for every teacher/student pair; only the
positions, widths and constants change. The functions here return that
block as a plain dict, so a config for a new pair is the pair plus one call
(old-style MMEngine configs may import; functions are dropped from the
resulting config)::

    from mmfeatdistill.presets import pefd_distiller
    model = pefd_distiller(teacher=..., teacher_ckpt=..., student=...,
                           student_dim=512, teacher_dim=2048)

The returned dicts are ordinary configs: ``--cfg-options`` can still change
any key, e.g. ``model.distill_losses.loss_pefd.loss_weight=10``.
"""
from .nd import nd_kdpp_distiller, nd_kdpp_hooks
from .ofd import ofd_distiller, resnet_block_bns, resnet_preact_positions
from .pefd import pefd_distiller
from .tofd import tofd_distiller, tofd_temperature_hook

__all__ = [
    'ofd_distiller', 'resnet_preact_positions', 'resnet_block_bns',
    'tofd_distiller', 'tofd_temperature_hook',
    'pefd_distiller', 'nd_kdpp_distiller', 'nd_kdpp_hooks'
]

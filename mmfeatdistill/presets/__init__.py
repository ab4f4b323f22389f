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
from .runtime import distill_runtime
from .tofd import tofd, tofd_teacher_heads

__all__ = [
    'Method', 'position', 'kd', 'feature_mse', 'ofd',
    'resnet_preact_positions', 'resnet_block_bns', 'tofd',
    'tofd_teacher_heads', 'pefd', 'nd', 'distill_runtime'
]

#: preset functions removed after 0.1.0 -> the call that replaced them
_REMOVED = {
    'ofd_distiller':
    'ofd(...), which returns (model, custom_hooks)',
    'pefd_distiller':
    'pefd(...), which returns (model, custom_hooks) (student_dim/'
    'teacher_dim are now student_channels/teacher_channels, source is '
    "positions=[position('neck', 0)])",
    'nd_kdpp_distiller':
    "nd(..., kd=dict(tau=..., weight=..., warmup=...)), which returns "
    '(model, custom_hooks) (student_dim/teacher_dim are now '
    'student_channels/teacher_channels, kd_tau/kd_weight kd=dict(tau, '
    "weight), dense=True rows='pixel', class_means class_means_dir)",
    'nd_kdpp_hooks':
    "the custom_hooks that nd(...) returns with the model (ClassMeansHook); "
    "the KD warm-up is nd(..., kd=dict(..., warmup=N, by_epoch=...)), a "
    'LinearRamp in model.schedules',
    'tofd_distiller':
    'tofd(...), which returns (model, custom_hooks)',
    'tofd_temperature_hook':
    "tofd(...)'s model: the rising temperature is a LinearRamp in "
    'model.schedules (tofd(temperature=(1.0, 4.0), by_epoch=...))',
}


def __getattr__(name: str):
    """Name the replacement of a preset function removed after 0.1.0
    (``from mmfeatdistill.presets import ofd_distiller`` in an old
    config).

    Raises:
        ImportError: ``name`` was removed (an ``ImportError``, so that
            ``from ... import`` shows this message, not Python's generic
            one).
        AttributeError: ``name`` never existed.
    """
    if name in _REMOVED:
        raise ImportError(
            f'mmfeatdistill.presets.{name} was removed after version 0.1.0: '
            f'use {_REMOVED[name]}. See docs/changelog.md.', name=name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

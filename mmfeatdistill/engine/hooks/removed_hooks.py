"""Hook types removed after version 0.1.0: a config that still names one
gets an error that says what replaced it (instead of MMEngine's "not in
the registry")."""
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS

_SCHEDULES = (
    "The loss attribute schedules now live in the model: "
    "FeatureDistiller(schedules=dict(<loss name>=dict(<attribute>=dict("
    "type='LinearRamp', start=..., end=..., length=..., by_epoch=...)))), "
    'with the same values (see docs/changelog.md).')


class _RemovedHook(Hook):
    """A hook type that is gone: building it raises naming the
    replacement."""

    replacement = ''

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError(
            f'{type(self).__name__} was removed after mmfeatdistill 0.1.0: '
            f'delete it from custom_hooks. {self.replacement} {_SCHEDULES}')


@HOOKS.register_module()
class LossWeightWarmupHook(_RemovedHook):
    """Removed: KD++'s warm-up of the KD weight is
    ``nd(kd=dict(tau, weight, warmup, by_epoch))`` (a ``LinearRamp`` of
    ``loss_kd.loss_weight`` in ``model.schedules``)."""

    replacement = (
        "KD++'s KD warm-up is nd(..., kd=dict(tau=..., weight=..., "
        'warmup=<epochs or iterations>, by_epoch=...)), which puts '
        "schedules=dict(loss_kd=dict(loss_weight=dict(type='LinearRamp', "
        'start=0.0, length=<warmup>))) in the model.')


@HOOKS.register_module()
class TemperatureScheduleHook(_RemovedHook):
    """Removed: TOFD's rising temperature is part of ``tofd(...)``'s model
    (a ``LinearRamp`` of each soft loss's ``temperature`` in
    ``model.schedules``)."""

    replacement = (
        "TOFD's rising temperature comes with tofd(...)'s model: "
        "schedules=dict(<soft loss>=dict(temperature=dict(type='LinearRamp', "
        'start=1.0, end=4.0))), per iteration with tofd(by_epoch=False).')

"""Loss attributes that follow a schedule over the run (KD++'s KD warm-up,
TOFD's rising temperature)."""
from typing import List, Tuple

from mmengine.logging import MessageHub
from torch import nn

from mmfeatdistill.registry import TASK_UTILS

#: ``(loss, attribute, schedule, configured value)``
Scheduled = Tuple[nn.Module, str, object, float]


def build_schedules(distill_losses: nn.ModuleDict,
                    schedules: dict) -> List[Scheduled]:
    """Build ``loss name -> {attribute -> schedule config}``.

    Args:
        distill_losses (nn.ModuleDict): The distiller's losses.
        schedules (dict): The config's ``schedules``.

    Returns:
        list: ``(loss, attribute, schedule, configured value)`` per entry.
    """
    built = []
    for name, attributes in schedules.items():
        if name not in distill_losses:
            raise KeyError(f'schedules.{name}: no such loss in distill_losses '
                           f'(defined: {sorted(distill_losses)}).')
        loss = distill_losses[name]
        for attribute, cfg in attributes.items():
            if not isinstance(getattr(loss, attribute, None), (int, float)):
                raise AttributeError(
                    f'schedules.{name}.{attribute}: {type(loss).__name__} '
                    f'has no numeric attribute {attribute!r} to schedule.')
            built.append((loss, attribute, TASK_UTILS.build(cfg),
                          float(getattr(loss, attribute))))
    return built


def apply_schedules(schedules: List[Scheduled]) -> None:
    """Set every scheduled attribute for the current epoch/iteration
    (MMEngine's RuntimeInfoHook keeps them in the message hub, so a resumed
    run continues the schedule); outside a Runner the configured value
    stays."""
    if not schedules:
        return
    hub = MessageHub.get_current_instance()
    for loss, attribute, schedule, configured in schedules:
        unit = 'epoch' if schedule.by_epoch else 'iter'
        step = hub.get_info(unit)
        total = hub.get_info(f'max_{unit}s')
        if step is None:  # outside a Runner: the configured value
            continue
        setattr(loss, attribute, schedule.value(step, total, configured))

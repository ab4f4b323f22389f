"""Loss attributes that follow a schedule over the run (KD++'s KD warm-up,
TOFD's rising temperature)."""
import logging
from typing import List, Set, Tuple

from mmengine.logging import MessageHub, print_log
from torch import nn

from mmfeatdistill.registry import TASK_UTILS
from mmfeatdistill.utils import ACCUMULATIVE_COUNTS, optimizer_steps

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
    """Set every scheduled attribute for the current epoch or optimizer
    step (MMEngine's RuntimeInfoHook keeps the epoch and iteration in the
    message hub, so a resumed run continues the schedule); outside a Runner
    the configured value stays.

    Iteration-based schedules count optimizer steps: with gradient
    accumulation (``optim_wrapper.accumulative_counts = N``, put in the hub
    by :class:`~mmfeatdistill.engine.hooks.AccumulationInfoHook`) the N
    iterations of one step share its value, and the run has
    ``ceil(max_iters / N)`` steps, as a run with an N times larger batch.

    Args:
        schedules (list): What :func:`build_schedules` returned.
    """
    if not schedules:
        return
    hub = MessageHub.get_current_instance()
    for loss, attribute, schedule, configured in schedules:
        if schedule.by_epoch:
            step = hub.get_info('epoch')
            total = hub.get_info('max_epochs')
        else:
            step = hub.get_info('iter')
            if step is not None:
                step, total = optimizer_steps(step, hub.get_info('max_iters'),
                                              _accumulative_counts(hub))
        if step is None:  # outside a Runner: the configured value
            continue
        setattr(loss, attribute, schedule.value(step, total, configured))


def _accumulative_counts(hub: MessageHub) -> int:
    """Iterations per optimizer step, from the hub (1, with a warning once
    per hub, when no :class:`AccumulationInfoHook` put it there)."""
    counts = hub.get_info(ACCUMULATIVE_COUNTS)
    if counts is not None:
        return counts
    if id(hub) not in _WARNED:
        _WARNED.add(id(hub))
        print_log(
            'Iteration-based loss schedules count training iterations: the '
            'run has no AccumulationInfoHook to give them '
            'optim_wrapper.accumulative_counts, so with gradient accumulation '
            'they would count micro-batches instead of optimizer steps. Add '
            "dict(type='mmfeatdistill.AccumulationInfoHook') to the config's "
            'default_hooks (configs/_base_/distill_runtime.py has it).',
            logger='current', level=logging.WARNING)
    return 1


#: ids of the message hubs warned about a missing AccumulationInfoHook
_WARNED: Set[int] = set()

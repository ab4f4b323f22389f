"""TOFD's rising temperature."""
from typing import Sequence

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model


@HOOKS.register_module()
class TemperatureScheduleHook(Hook):
    """Before each epoch set ``T = start + delta * (epoch + 1) / max_epochs``
    on the named losses' ``temperature`` (TOFD: 1 + 3 (epoch+1)/E, about 1
    to 4). Computed from the epoch, so resuming gives the same schedule.

    Args:
        loss_names (Sequence[str]): Losses with a ``temperature``.
        start (float): Defaults to 1.0.
        delta (float): Defaults to 3.0.
        by_epoch (bool): True (default): per epoch as above. False (the
            iteration-based schedules of detection/segmentation): before
            each iteration, ``T = start + delta * (iter + 1) / max_iters``.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, loss_names: Sequence[str], start: float = 1.0,
                 delta: float = 3.0, by_epoch: bool = True) -> None:
        self.loss_names = list(loss_names)
        self.start = start
        self.delta = delta
        self.by_epoch = by_epoch

    def temperature(self, epoch: int, max_epochs: int) -> float:
        return self.start + self.delta * (epoch + 1) / max_epochs

    def _set(self, runner, step: int, total: int) -> None:
        model = unwrap_model(runner.model)
        losses = getattr(model, 'distill_losses', {})
        missing = [n for n in self.loss_names if n not in losses]
        if missing:
            raise KeyError(f'TemperatureScheduleHook: no distillation loss '
                           f'{missing}; defined: {sorted(losses)}')
        T = self.temperature(step, total)
        for name in self.loss_names:
            losses[name].temperature = T

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._set(runner, runner.epoch, runner.max_epochs)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if not self.by_epoch:
            self._set(runner, runner.iter, runner.max_iters)

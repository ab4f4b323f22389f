"""How much each distillation loss weighs against the task loss, logged
over the first iterations, with a warning for a weight too small or too
large to matter."""
from typing import Dict, Optional, Sequence, Union

import torch
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model
from mmfeatdistill.utils.checks import check_in_range, check_positive_int

DATA_BATCH = Optional[dict]


def _magnitude(value: Union[torch.Tensor, float]) -> float:
    """``|value|`` of a logged loss (a 0-dim tensor or a number)."""
    if isinstance(value, torch.Tensor):
        value = value.detach()
    return abs(float(value))


@HOOKS.register_module()
class LossBalanceHook(Hook):
    """Log each distillation loss's share of the total loss over the first
    training iterations, and warn about a loss weight that makes a
    distillation loss negligible or dominant.

    The logged loss values of each iteration (``outputs`` of
    ``after_train_iter``, the log variables of ``train_step``) are split
    into the distillation losses (the keys of the distiller's
    ``distill_losses``) and the task loss (the sum of the other keys
    containing ``'loss'``, except the total ``'loss'``). After
    ``num_iters`` iterations (or at the last iteration of a shorter run)
    one line gives each distillation loss's mean share of the total, and a
    warning names ``model.distill_losses.<name>.loss_weight`` for each
    distillation loss whose mean stays below ``min_ratio`` times the task
    loss's mean (it would change nothing: e.g. PEFD on SSD until its weight
    was raised 4x) or above ``max_ratio`` times it (the task loss would
    barely count). A loss whose ``loss_weight`` follows a schedule (e.g.
    KD++'s warm-up from 0) is logged but not checked. Models other than a
    ``FeatureDistiller`` are skipped quietly. ``tools/train.py`` adds this
    hook to every run.

    Args:
        num_iters (int): Iterations to average over. Defaults to 10.
        min_ratio (float): Warn below this ratio of a distillation loss to
            the task loss. Defaults to 0.01.
        max_ratio (float): Warn above this ratio. Defaults to 100.0.
    """

    priority = 'LOW'

    def __init__(self, num_iters: int = 10, min_ratio: float = 0.01,
                 max_ratio: float = 100.0) -> None:
        check_positive_int(num_iters, 'LossBalanceHook(num_iters=...)')
        check_in_range(min_ratio, 'LossBalanceHook(min_ratio=...)', 0,
                       max_ratio, include_low=True,
                       fix='lower min_ratio or raise max_ratio.')
        self.num_iters = num_iters
        self.min_ratio = min_ratio
        self.max_ratio = max_ratio
        self._done = False
        self._count = 0
        self._task_keys: Sequence[str] = ()
        self._sums: Dict[str, float] = {}
        self._shares: Dict[str, float] = {}

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self._done or not outputs:
            return
        from mmfeatdistill.models.distillers import FeatureDistiller
        model = unwrap_model(runner.model)
        names = [n for n in model.distill_losses if n in outputs] \
            if isinstance(model, FeatureDistiller) else []
        if not names:
            self._done = True
            return
        task_keys = [
            k for k in outputs
            if 'loss' in k and k != 'loss' and k not in model.distill_losses
        ]
        values = {k: _magnitude(outputs[k]) for k in names + task_keys}
        values['task'] = sum(values.pop(k) for k in task_keys)
        total = sum(values.values())
        for key, value in values.items():
            self._sums[key] = self._sums.get(key, 0.0) + value
            self._shares[key] = self._shares.get(
                key, 0.0) + (value / total if total > 0 else 0.0)
        self._task_keys = task_keys
        self._count += 1
        if self._count >= self.num_iters or \
                runner.iter + 1 >= runner.max_iters:
            self._done = True
            self._report(runner, model, names)

    def _report(self, runner, model, names: Sequence[str]) -> None:
        """Log the mean shares; warn about each loss out of balance."""
        n = self._count
        scheduled = {
            name
            for name, loss in model.distill_losses.items()
            for target, attribute, *_ in model.schedules
            if target is loss and attribute == 'loss_weight'
        }
        task = ', '.join(self._task_keys) or 'none'
        shares = ', '.join(
            f'{name} {self._shares[name] / n:.1%}' +
            (' (loss_weight scheduled)' if name in scheduled else '')
            for name in names)
        runner.logger.info(
            f'Loss balance over the first {n} training iteration(s), mean '
            f'share of the total loss: {shares}, task loss ({task}) '
            f'{self._shares["task"] / n:.1%}.')
        task_mean = self._sums['task'] / n
        if task_mean <= 0:
            return
        for name in names:
            if name in scheduled:
                continue
            mean = self._sums[name] / n
            ratio = mean / task_mean
            key = f'model.distill_losses.{name}.loss_weight'
            weight = getattr(model.distill_losses[name], 'loss_weight', None)
            now = f' (now {weight:g})' if isinstance(weight,
                                                     (int, float)) else ''
            over = (f'over the first {n} iteration(s) (mean {mean:.3g} vs '
                    f'{task_mean:.3g}, {ratio:.3g}x)')
            if ratio < self.min_ratio:
                runner.logger.warning(
                    f'Distillation loss {name!r} stays below '
                    f'{self.min_ratio * 100:g}% of the task loss {over}: too '
                    f'small to change the training. Raise {key}{now}.')
            elif ratio > self.max_ratio:
                runner.logger.warning(
                    f'Distillation loss {name!r} stays above '
                    f'{self.max_ratio:g}x the task loss {over}: the task '
                    f'loss barely counts. Lower {key}{now}.')

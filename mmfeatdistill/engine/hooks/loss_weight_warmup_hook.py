"""Linear warm-up of distillation loss weights (KD++'s KD term)."""
from typing import Dict, Optional, Sequence

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model


@HOOKS.register_module()
class LossWeightWarmupHook(Hook):
    """``loss_weight = configured * min(1, epoch / warmup_epochs)`` with
    1-based epochs (KD++: ``kd_w * min(1, epoch / warmup)`` as in ND's
    released code, whose epochs start at 1), set before every epoch.

    The weight is recomputed from the configured one and the epoch, so
    resuming gives the same schedule.

    Args:
        loss_names (Sequence[str]): Distillation losses to warm up.
            Defaults to ``('loss_kd', )``.
        warmup_epochs (int): Defaults to 20 (KD++ on CIFAR; 5 on
            ImageNet).
        warmup_iters (int, optional): Warm up over iterations instead
            (iteration-based schedules: ``min(1, (iter + 1) /
            warmup_iters)``, set before every iteration).
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, loss_names: Sequence[str] = ('loss_kd', ),
                 warmup_epochs: int = 20,
                 warmup_iters: Optional[int] = None) -> None:
        if warmup_epochs < 1 or (warmup_iters is not None
                                 and warmup_iters < 1):
            raise ValueError('warmup_epochs and warmup_iters must be >= 1')
        self.loss_names = list(loss_names)
        self.warmup_epochs = warmup_epochs
        self.warmup_iters = warmup_iters
        self._base: Dict[str, float] = {}

    def _losses(self, runner):
        model = unwrap_model(runner.model)
        losses = getattr(model, 'distill_losses', {})
        missing = [n for n in self.loss_names if n not in losses]
        if missing:
            raise KeyError(f'LossWeightWarmupHook: no distillation loss '
                           f'{missing}; defined: {sorted(losses)}')
        return {n: losses[n] for n in self.loss_names}

    def factor(self, step: int) -> float:
        """Factor for the 0-based epoch (or iteration, with
        ``warmup_iters``) of the runner."""
        length = self.warmup_iters or self.warmup_epochs
        return min(1.0, (step + 1) / length)

    def before_train(self, runner) -> None:
        self._base = {n: loss.loss_weight
                      for n, loss in self._losses(runner).items()}

    def _set(self, runner, step: int) -> None:
        for name, loss in self._losses(runner).items():
            loss.loss_weight = self._base[name] * self.factor(step)

    def before_train_epoch(self, runner) -> None:
        if self.warmup_iters is None:
            self._set(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self.warmup_iters is not None:
            self._set(runner, runner.iter)

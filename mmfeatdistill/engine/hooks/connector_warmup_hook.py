"""OFD's connector warm-up: train the connectors alone before the student."""
import math
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import (accumulative_counts, optimizer_steps,
                                 unwrap_model)
from mmfeatdistill.utils.checks import check_exactly_one, check_in_range

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class ConnectorWarmupHook(Hook):
    """Train only the distiller's connectors for the first optimizer steps.

    During the warm-up the student's parameters do not require gradients, so
    the optimizer leaves them untouched (no update, no weight decay, no
    momentum), and the learning rate of every parameter group holding
    connector parameters is multiplied by ``lr_mult`` for the iteration. The
    multiplier is undone right after the step, before the parameter
    schedulers run, so the schedule is the configured one. Afterwards the
    student trains as usual. OFD (methods.md): 500 iterations for detection,
    1 epoch for segmentation, lr x10.

    The warm-up counts optimizer steps: with gradient accumulation
    (``optim_wrapper.accumulative_counts = N``) it lasts N times as many
    training iterations (micro-batches), always whole steps, so a run with
    batch B and N accumulated iterations warms up as one with batch N * B.

    Args:
        warmup_iters (int, optional): Length of the warm-up in optimizer
            steps (training iterations without gradient accumulation).
        warmup_epochs (int, optional): Length in epochs (converted with the
            length of the training dataloader, rounded up to whole
            optimizer steps).
        warmup_ratio (float, optional): Length as a fraction of the run's
            optimizer steps (e.g. 1/30: OFD's 1 of 30 epochs, whatever the
            schedule). Give exactly one of the three.
        lr_mult (float): Learning-rate multiplier of the connectors during
            the warm-up. Defaults to 10.0.
        module_names (list[str]): Attributes of the distiller that train
            during the warm-up. Defaults to ``['connectors']``.
    """

    priority = 'NORMAL'  # after_train_iter runs before ParamSchedulerHook
    #: It changes what training produces: in the key of cached stages
    #: (:mod:`mmfeatdistill.tools.stage_cache`).
    changes_weights = True

    def __init__(
        self, warmup_iters: Optional[int] = None,
        warmup_epochs: Optional[int] = None,
        warmup_ratio: Optional[float] = None, lr_mult: float = 10.0,
        module_names: Sequence[str] = ('connectors', )
    ) -> None:
        check_exactly_one('ConnectorWarmupHook', warmup_iters=warmup_iters,
                          warmup_epochs=warmup_epochs,
                          warmup_ratio=warmup_ratio)
        if warmup_ratio is not None:
            check_in_range(
                warmup_ratio, 'ConnectorWarmupHook(warmup_ratio=...)', 0, 1,
                fix='the fraction of the run to warm up for, e.g. 1/30.')
        self.warmup_iters = warmup_iters
        self.warmup_epochs = warmup_epochs
        self.warmup_ratio = warmup_ratio
        self.lr_mult = lr_mult
        self.module_names = list(module_names)
        self._frozen: Dict[int, bool] = {}
        self._scaled: List[dict] = []
        self._counts = 1  # training iterations per optimizer step

    def _warming(self, runner) -> bool:
        """Whether the current iteration's optimizer step is in the
        warm-up."""
        step, _ = optimizer_steps(runner.iter, None, self._counts)
        return step < self.warmup_iters

    @staticmethod
    def _distiller(runner):
        return unwrap_model(runner.model)

    def before_train(self, runner) -> None:
        from mmfeatdistill.engine.strategies.distiller_fsdp import \
            ShardedDistiller
        if isinstance(runner.model, ShardedDistiller):
            raise RuntimeError(
                'ConnectorWarmupHook does not work under '
                'DistillerFSDPStrategy: it switches requires_grad of the '
                "student's parameters, which FSDP has flattened into shards. "
                'Train this config with DDP (tools/dist_train.sh without '
                'the FlexibleRunner options), or drop the warm-up '
                '(connector_warmup=None in the preset call).')
        self._counts = accumulative_counts(runner.optim_wrapper)
        if self.warmup_epochs is not None:
            self.warmup_iters = math.ceil(self.warmup_epochs *
                                          len(runner.train_dataloader) /
                                          self._counts)
        elif self.warmup_ratio is not None:
            _, steps = optimizer_steps(0, runner.max_iters, self._counts)
            self.warmup_iters = max(1, round(self.warmup_ratio * steps))
        model = self._distiller(runner)
        missing = [
            n for n in self.module_names + ['student']
            if not hasattr(model, n)
        ]
        if missing:
            raise AttributeError(
                f'ConnectorWarmupHook needs a distiller with attributes '
                f'{missing}; got {type(model).__name__}.')
        if self._warming(runner):
            per_step = (f' ({self._counts} iterations each)'
                        if self._counts > 1 else '')
            runner.logger.info(
                f'Connector warm-up: optimizer steps '
                f'{runner.iter // self._counts}..{self.warmup_iters - 1}'
                f'{per_step} train only {self.module_names} at lr '
                f'x{self.lr_mult}.')

    def _set_student_trainable(self, runner, trainable: bool) -> None:
        student = self._distiller(runner).student
        if not trainable:
            self._frozen = {
                id(p): p.requires_grad
                for p in student.parameters()
            }
            student.requires_grad_(False)
        else:
            for p in student.parameters():
                p.requires_grad_(self._frozen.get(id(p), True))
            self._frozen = {}

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        warming = self._warming(runner)
        if warming and not self._frozen:
            self._set_student_trainable(runner, False)
        elif not warming and self._frozen:
            self._set_student_trainable(runner, True)
            runner.logger.info('Connector warm-up done: the student trains.')
        if warming:
            model = self._distiller(runner)
            ids = {
                id(p)
                for name in self.module_names
                for p in getattr(model, name).parameters()
            }
            self._scaled = [
                group for group in runner.optim_wrapper.param_groups if any(
                    id(p) in ids for p in group['params'])
            ]
            for group in self._scaled:
                group['lr'] *= self.lr_mult

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        for group in self._scaled:
            group['lr'] /= self.lr_mult
        self._scaled = []

    def after_train(self, runner) -> None:
        if self._frozen:
            self._set_student_trainable(runner, True)

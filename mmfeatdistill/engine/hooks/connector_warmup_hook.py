"""OFD's connector warm-up: train the connectors alone before the student."""
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model

DATA_BATCH = Optional[dict]


@HOOKS.register_module()
class ConnectorWarmupHook(Hook):
    """Train only the distiller's connectors for the first iterations.

    During the warm-up the student's parameters do not require gradients, so
    the optimizer leaves them untouched (no update, no weight decay, no
    momentum), and the learning rate of every parameter group holding
    connector parameters is multiplied by ``lr_mult`` for the iteration. The
    multiplier is undone right after the step, before the parameter
    schedulers run, so the schedule is the configured one. Afterwards the
    student trains as usual. OFD (methods.md): 500 iterations for detection,
    1 epoch for segmentation, lr x10.

    Args:
        warmup_iters (int, optional): Length of the warm-up in iterations.
        warmup_epochs (int, optional): Length in epochs (converted with the
            length of the training dataloader).
        warmup_ratio (float, optional): Length as a fraction of the run's
            iterations (e.g. 1/30: OFD's 1 of 30 epochs, whatever the
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
        given = [
            v for v in (warmup_iters, warmup_epochs, warmup_ratio)
            if v is not None
        ]
        if len(given) != 1:
            raise ValueError('ConnectorWarmupHook needs exactly one of '
                             'warmup_iters, warmup_epochs and warmup_ratio.')
        if warmup_ratio is not None and not 0 < warmup_ratio < 1:
            raise ValueError(f'warmup_ratio must be in (0, 1), got '
                             f'{warmup_ratio}')
        self.warmup_iters = warmup_iters
        self.warmup_epochs = warmup_epochs
        self.warmup_ratio = warmup_ratio
        self.lr_mult = lr_mult
        self.module_names = list(module_names)
        self._frozen: Dict[int, bool] = {}
        self._scaled: List[dict] = []

    @staticmethod
    def _distiller(runner):
        return unwrap_model(runner.model)

    def before_train(self, runner) -> None:
        if self.warmup_epochs is not None:
            self.warmup_iters = self.warmup_epochs * len(
                runner.train_dataloader)
        elif self.warmup_ratio is not None:
            self.warmup_iters = max(
                1, round(self.warmup_ratio * runner.max_iters))
        model = self._distiller(runner)
        missing = [
            n for n in self.module_names + ['student']
            if not hasattr(model, n)
        ]
        if missing:
            raise AttributeError(
                f'ConnectorWarmupHook needs a distiller with attributes '
                f'{missing}; got {type(model).__name__}.')
        if runner.iter < self.warmup_iters:
            runner.logger.info(
                f'Connector warm-up: iterations {runner.iter}..'
                f'{self.warmup_iters - 1} train only {self.module_names} '
                f'at lr x{self.lr_mult}.')

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
        warming = runner.iter < self.warmup_iters
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

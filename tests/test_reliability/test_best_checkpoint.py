"""Nothing lost with ``save_best``: a run killed while it writes a new best
checkpoint still has the previous best one (MMEngine 0.10.7 deletes the old
best before it writes the new)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.registry import HOOKS, METRICS
from mmengine.runner import Runner

from mmfeatdistill.tools.train import use_atomic_checkpoint_hook
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import config_path, fast_runner_cfg, make_fake_fashion_mnist

STUDENT_CFG = config_path('fashion_mnist/student_resnet18-w8_fmnist.py')


@METRICS.register_module(name='_ValidationCount', force=True)
class _ValidationCount(BaseMetric):
    """A metric that improves on every validation (1, 2, 3, ...), so every
    validation writes a new best checkpoint."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.count = 0

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        self.count += 1
        return dict(count=float(self.count))


class Killed(Exception):
    """Stands in for a kill in the middle of a write."""


@HOOKS.register_module(name='_KillOnSecondBestSave', force=True)
class _KillOnSecondBestSave(Hook):
    """Raises while the second best checkpoint is being saved (best
    checkpoints hold no optimizer state; regular ones do)."""

    def __init__(self) -> None:
        self.best_saves = 0

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'optimizer' not in checkpoint:
            self.best_saves += 1
            if self.best_saves == 2:
                raise Killed


def _best_run(tmp_path):
    """Two iterations of the plain student, each validated, each writing a
    new best checkpoint, through our checkpoint hook; returns the work dir
    and the config."""
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 8, 4)
    work = str(tmp_path / 'work')
    cfg = fast_runner_cfg(Config.fromfile(STUDENT_CFG), work, data_root,
                          max_iters=2, batch_size=4)
    cfg.train_cfg.val_interval = 1
    cfg.val_evaluator = cfg.test_evaluator = dict(type='_ValidationCount')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                        by_epoch=False, save_best='count',
                                        rule='greater')
    use_atomic_checkpoint_hook(cfg)  # as tools/train.py does
    return work, cfg


def test_best_checkpoint_survives_a_kill_while_the_next_is_written(tmp_path):
    work, cfg = _best_run(tmp_path)
    cfg.custom_hooks = [dict(type='_KillOnSecondBestSave')]
    runner = Runner.from_cfg(cfg)
    with pytest.raises(Killed):
        runner.train()
    best = glob.glob(osp.join(work, 'best_count_*.pth'))
    assert [osp.basename(p) for p in best] == ['best_count_iter_1.pth']
    assert load_checkpoint_file(best[0], 'cpu')['meta']['iter'] == 1


def test_previous_best_removed_once_the_new_one_is_complete(tmp_path):
    work, cfg = _best_run(tmp_path)
    Runner.from_cfg(cfg).train()
    best = glob.glob(osp.join(work, 'best_count_*.pth'))
    assert [osp.basename(p) for p in best] == ['best_count_iter_2.pth']

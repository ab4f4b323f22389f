"""An epoch-based run with iteration checkpoints, killed mid-epoch and
resumed with ``tools/train.py --resume``, trains the configured number of
iterations, saves its final model and ends with the weights of the
uninterrupted run, bit for bit (loader workers on, as the demo runs them,
random flips in the pipeline)."""
import os.path as osp
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmfeatdistill.engine.hooks import RNGStateHook
from mmfeatdistill.engine.runner import SeededBatchSampler, SeededDataset
from mmfeatdistill.tools.train import main as train_main
from tests.helpers import config_path, fast_runner_cfg, make_fake_fashion_mnist

STUDENT_CFG = config_path('fashion_mnist/student_resnet18-w8_fmnist.py')


class Killed(Exception):
    """Stands in for a kill between two iterations."""


@HOOKS.register_module(name='_KillAfterIteration', force=True)
class _KillAfterIteration(Hook):

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.iteration:
            raise Killed


@HOOKS.register_module(name='_DrawAfterIteration', force=True)
class _DrawAfterIteration(Hook):
    """Draws from torch's global stream after every training iteration
    (as dropout would), keeping the draws by work dir."""

    draws: dict = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self.draws.setdefault(runner.work_dir, {})[runner.iter + 1] = \
            torch.rand(()).item()


def _config(tmp_path, kill_after=None, interval=3, val_interval=2) -> str:
    """2 epochs of 5 batches, 2 persistent loader workers, a checkpoint
    every ``interval`` iterations (by iteration), validation every
    ``val_interval`` epochs, draws from torch's stream after every
    iteration; killed after iteration ``kill_after``."""
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 40, 4)
    cfg = fast_runner_cfg(Config.fromfile(STUDENT_CFG),
                          str(tmp_path / 'unused'), data_root)
    loader = cfg.train_dataloader
    loader.num_workers, loader.persistent_workers = 2, True
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2,
                         val_interval=val_interval)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=interval, by_epoch=False)
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.custom_hooks = [dict(type='_DrawAfterIteration')]
    if kill_after:
        cfg.custom_hooks.append(
            dict(type='_KillAfterIteration', iteration=kill_after))
    path = str(tmp_path / f'mid_epoch_{kill_after}_{interval}.py')
    cfg.dump(path)
    return path


def _train(path, work, resume=None):
    args = [path, '--work-dir', str(work)]
    if resume:
        args += ['--resume', resume]
    args += [
        '--cfg-options', f'visualizer.name=visualizer:{osp.abspath(str(work))}'
    ]
    runner = train_main(args)
    return runner, {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
    }


def test_mid_epoch_resume_equals_uninterrupted_run(tmp_path):
    path = _config(tmp_path)
    full_runner, full = _train(path, tmp_path / 'full')
    assert full_runner.iter == 10
    with pytest.raises(Killed):
        _train(_config(tmp_path, kill_after=5), tmp_path / 'cut')
    runner, resumed = _train(path, tmp_path / 'cut',
                             resume=str(tmp_path / 'cut' / 'iter_3.pth'))
    assert runner.iter == 10 and runner.epoch == 2
    assert osp.isfile(tmp_path / 'cut' / 'iter_10.pth')
    different = [k for k in full if not torch.equal(full[k], resumed[k])]
    assert not different, f'{len(different)} of {len(full)}: {different[:5]}'


def test_resume_at_an_epoch_end_keeps_the_random_streams(tmp_path):
    """A checkpoint at the last batch of epoch 1, then a validation: the
    resumed run draws what the uninterrupted one draws in epoch 2 (the
    validation and the next epoch's loader take nothing from the
    stream)."""
    path = _config(tmp_path, interval=5, val_interval=1)
    _, full = _train(path, tmp_path / 'full')
    with pytest.raises(Killed):
        _train(_config(tmp_path, kill_after=7, interval=5, val_interval=1),
               tmp_path / 'cut')
    _, resumed = _train(path, tmp_path / 'cut',
                        resume=str(tmp_path / 'cut' / 'iter_5.pth'))
    draws = _DrawAfterIteration.draws
    expected = draws[str(tmp_path / 'full')]
    got = draws[str(tmp_path / 'cut')]
    assert [got[i]
            for i in range(6, 11)] == [expected[i] for i in range(6, 11)]
    assert all(torch.equal(full[k], resumed[k]) for k in full)


def test_seeded_batches_skip_and_tag_every_index():
    sampler = SeededBatchSampler([[0, 1], [2, 3], [4, 5]], seed=7)
    sampler.epoch, sampler.skip = 1, 2
    (batch, ) = list(sampler)
    assert [i for _, i in batch] == [4, 5]
    sampler.skip = 0  # as the loop sets it for the next epoch
    again = list(sampler)
    assert len(again) == 3 and again[2] == batch and len(sampler) == 3
    sampler.epoch = 2
    assert list(sampler)[2] != batch  # other seeds in another epoch


def test_seeded_dataset_seeds_each_sample_and_keeps_the_main_streams():

    class Draw(torch.utils.data.Dataset):

        def __len__(self):
            return 4

        def __getitem__(self, index):
            return (index, random.random(), np.random.rand(), torch.rand(
                ()).item())

    dataset = SeededDataset(Draw())
    torch.manual_seed(0)
    expected = torch.rand(())
    torch.manual_seed(0)
    first = dataset[(123, 2)]
    assert torch.rand(()) == expected  # the main process's stream is kept
    assert dataset[(123, 2)] == first and dataset[(124, 2)] != first
    assert len(dataset) == 4


def test_rng_state_hook_restores_numpy_and_python_states():

    class SeededRun:  # what the hook reads of an ExactResume... run
        train_loop = SimpleNamespace(dataloader=SimpleNamespace(
            dataset=SeededDataset([])))

    hook, checkpoint = RNGStateHook(), {}
    hook.before_save_checkpoint(None, checkpoint)
    expected = (random.random(), np.random.rand(), torch.rand(()).item())
    hook.after_load_checkpoint(None, checkpoint)
    hook.before_train_iter(SeededRun(), 0)
    assert (random.random(), np.random.rand(), torch.rand(
        ()).item()) == expected

"""Best-checkpoint saving during distillation; nothing the user owns is
modified; an interrupted run leaves a loadable last checkpoint."""
import glob
import hashlib
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_trained_like_teacher)

OFD_CFG = config_path('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py')


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(glob.glob(osp.join(root, '**'), recursive=True)):
        if osp.isfile(path):
            digest.update(path.encode())
            digest.update(open(path, 'rb').read())
            digest.update(str(os.stat(path).st_mtime_ns).encode())
    return digest.hexdigest()


class _Interrupt(Hook):

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == 3:
            raise KeyboardInterrupt('simulated interruption')


def _setup(tmp_path, max_iters):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 8)
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(Config.fromfile(OFD_CFG).model.teacher, ckpt)
    cfg = fast_runner_cfg(Config.fromfile(OFD_CFG), str(tmp_path / 'work'),
                          data_root, max_iters=max_iters)
    cfg.model.teacher_ckpt = ckpt
    return cfg, data_root, ckpt


def test_save_best_and_nothing_modified(tmp_path):
    cfg, data_root, ckpt = _setup(tmp_path, 4)
    cfg.train_cfg.val_interval = 2
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        by_epoch=False,
                                        save_best='accuracy/top1',
                                        rule='greater')
    before = (_tree_digest(data_root), open(ckpt, 'rb').read())
    Runner.from_cfg(cfg).train()
    best = glob.glob(osp.join(cfg.work_dir, 'best_accuracy_top1_iter_*.pth'))
    assert len(best) == 1
    state = load_checkpoint_file(best[0])['state_dict']
    assert any(k.startswith('connectors.') for k in state)
    assert (_tree_digest(data_root), open(ckpt, 'rb').read()) == before


def test_interrupted_run_leaves_last_checkpoint_loadable(tmp_path):
    cfg, _, _ = _setup(tmp_path, 6)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        by_epoch=False)
    runner = Runner.from_cfg(cfg)
    runner.register_hook(_Interrupt())
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    assert open(osp.join(cfg.work_dir, 'last_checkpoint')).read().strip() \
        .endswith('iter_2.pth')
    state = load_checkpoint_file(osp.join(cfg.work_dir, 'iter_2.pth'))
    assert state['meta']['iter'] == 2
    runner.model.load_state_dict(state['state_dict'])

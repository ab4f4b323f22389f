"""A config trains the same through ``Runner.from_cfg`` (a user's script
or notebook) and through ``tools/train.py``: the runtime base declares the
hooks and the loop a run needs (atomic checkpoints, RNG states, the loss
balance check, optimizer steps for the schedules, exact mid-epoch resume),
so the first iteration's losses, the checkpoint names and the weights are
identical."""
import copy
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.engine.hooks import (AccumulationInfoHook,
                                        AtomicCheckpointHook, LossBalanceHook,
                                        RNGStateHook)
from mmfeatdistill.engine.runner import ExactResumeEpochBasedTrainLoop
from mmfeatdistill.tools.train import add_runtime_defaults
from mmfeatdistill.tools.train import main as train_main
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (CONFIGS, config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, own_visualizer,
                           save_distill_teacher)

KD = config_path('kd/kd_resnet18-w32_resnet18-w8_fmnist.py')


def _losses(work: str) -> list:
    (path, ) = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    return [{
        k: v
        for k, v in r.items() if k.startswith('loss')
    } for r in records if 'loss' in r]


def test_runner_from_cfg_equals_tools_train(tmp_path):
    data = make_fake_fashion_mnist(str(tmp_path / 'data'), 16, 8)
    base = Config.fromfile(KD)
    loop = dict(base.train_cfg)  # the schedule base's loop
    cfg = fast_runner_cfg(base, str(tmp_path / 'unused'), data, batch_size=8)
    cfg.model.teacher_ckpt = save_distill_teacher(KD, cfg, tmp_path)
    cfg.train_cfg = dict(loop, max_epochs=1, val_interval=1)
    cfg.default_hooks = Config.fromfile(KD).default_hooks  # the base's
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=0, deterministic=True)

    direct = copy.deepcopy(cfg)
    direct.work_dir = str(tmp_path / 'direct')
    own_visualizer(direct, direct.work_dir)
    runner = Runner.from_cfg(direct)
    kinds = [type(h) for h in runner.hooks]
    for hook in (AtomicCheckpointHook, RNGStateHook, LossBalanceHook,
                 AccumulationInfoHook):
        assert kinds.count(hook) == 1, hook
    assert isinstance(runner.train_loop, ExactResumeEpochBasedTrainLoop)
    runner.train()

    path = str(tmp_path / 'cfg.py')
    cfg.dump(path)
    work = str(tmp_path / 'tool')
    tool = train_main([
        path, '--work-dir', work, '--cfg-options',
        f'visualizer.name=visualizer:{work}'
    ])
    # tools/train.py added nothing the config had
    assert [type(h) for h in tool.hooks] == kinds

    assert _losses(direct.work_dir) == _losses(work)
    names = sorted(
        osp.basename(p) for p in glob.glob(osp.join(direct.work_dir, '*.pth')))
    assert names and names == sorted(
        osp.basename(p) for p in glob.glob(osp.join(work, '*.pth')))
    for name in names:
        a = load_checkpoint_file(osp.join(direct.work_dir, name),
                                 'cpu')['state_dict']
        b = load_checkpoint_file(osp.join(work, name), 'cpu')['state_dict']
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name


def test_every_shipped_config_declares_its_runtime():
    """tools/train.py's additions change no shipped training config: each
    declares its hooks and loop itself (the runtime base or a pair base's
    ``distill_runtime()``)."""
    trained = [
        p for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
        if osp.basename(osp.dirname(p)) != '_base_'
    ]
    assert len(trained) > 40
    for path in trained:
        cfg = Config.fromfile(path)
        train_cfg = cfg.get('train_cfg') or {}
        # MMEngine's Runner.build_train_loop refuses the two together
        assert not {'type', 'by_epoch'} <= set(train_cfg), (osp.relpath(
            path, CONFIGS), dict(train_cfg))
        before = cfg.to_dict()
        add_runtime_defaults(cfg)
        assert cfg.to_dict() == before, osp.relpath(path, CONFIGS)


def test_by_epoch_beside_the_bases_loop_type_names_the_fix():
    """A child config's ``train_cfg.by_epoch=False`` merged into the
    schedule base's ``type``: MMEngine refuses the pair; tools/train.py
    says how to switch loops."""
    cfg = Config.fromfile(
        config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'))
    cfg.merge_from_dict(dict(train_cfg=dict(by_epoch=False)))
    with pytest.raises(ValueError, match=r"_delete_=True, "
                       r"type='IterBasedTrainLoop'"):
        add_runtime_defaults(cfg)

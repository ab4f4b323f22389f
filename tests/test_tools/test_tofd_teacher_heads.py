"""TOFD's teacher-head step on generated data, the distillation's check that
the heads are there, the temperature schedule and the export."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.models.connectors import TOFDAuxHead
from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools import export_student
from mmfeatdistill.tools.train_tofd_teacher_heads import main
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import config_path, fake_data_and_teacher, fast_runner_cfg

HEADS_CFG = config_path('tofd/tofd-teacher-heads_resnet18-w32_fmnist.py')
TOFD_CFG = config_path('tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py')


def _opts(data_root, ckpt, work):
    opts = [
        f'model.model_ckpt={ckpt}', f'work_dir={work}',
        'train_cfg.max_epochs=1', 'param_scheduler=[]'
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0', f'{loader}.batch_size=8',
            f'{loader}.persistent_workers=False'
        ]
    return opts


@pytest.fixture(scope='module')
def heads_ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp('tofd')
    data_root, ckpt = fake_data_and_teacher(root, HEADS_CFG, model='model')
    work = str(root / 'heads')
    out = main([HEADS_CFG, '--cfg-options', *_opts(data_root, ckpt, work)])
    return root, data_root, ckpt, out


def test_teacher_head_training_freezes_teacher_and_trains_heads(heads_ckpt):
    root, data_root, ckpt, out = heads_ckpt
    written = load_checkpoint_file(out)
    original = load_checkpoint_file(ckpt)['state_dict']
    assert written['state_dict'].keys() == original.keys()
    for key, value in original.items():
        assert torch.equal(written['state_dict'][key], value), key
    # heads as built before training (same seed) differ from the trained
    cfg = Config.fromfile(HEADS_CFG)
    fresh = Runner.from_cfg(
        fast_runner_cfg(_with_ckpt(cfg, ckpt), str(root / 'fresh'), data_root))
    assert set(written['tofd_teacher_heads']) == {
        'stage1', 'stage2', 'stage3', 'stage4'
    }
    for name, head in fresh.model.heads.items():
        trained = written['tofd_teacher_heads'][name]
        assert any(not torch.equal(v, trained[k])
                   for k, v in head.state_dict().items()), name


def _with_ckpt(cfg, ckpt):
    cfg.model.model_ckpt = ckpt
    return cfg


def test_distillation_needs_trained_heads(heads_ckpt, tmp_path):
    root, data_root, ckpt, out = heads_ckpt
    cfg = Config.fromfile(TOFD_CFG)
    cfg.model.teacher_ckpt = ckpt  # no heads in it
    with pytest.raises(
            RuntimeError, match='no trained TOFD auxiliary head '
            "'stage1'.*train_tofd_teacher_heads.py"):
        MODELS.build(cfg.model)


def test_tofd_distillation_runs_and_exports_student_only(heads_ckpt, tmp_path):
    root, data_root, ckpt, out = heads_ckpt
    cfg = fast_runner_cfg(Config.fromfile(TOFD_CFG), str(tmp_path / 'work'),
                          data_root, max_iters=2)
    cfg.model.teacher_ckpt = out  # the teacher heads load from it too
    runner = Runner.from_cfg(cfg)
    t_heads = {
        k: {
            n: v.clone()
            for n, v in c.state_dict().items()
        }
        for k, c in runner.model.connectors.items()
        if isinstance(c, TOFDAuxHead) and c.frozen
    }
    runner.train()
    for name, state in t_heads.items():  # frozen teacher heads unchanged
        for key, value in runner.model.connectors[name].state_dict().items():
            assert torch.equal(value, state[key]), (name, key)
    exported = str(tmp_path / 'student.pth')
    export_student.main([osp.join(cfg.work_dir, 'iter_2.pth'), exported])
    keys = torch.load(exported, weights_only=False)['state_dict'].keys()
    assert keys == runner.model.student.state_dict().keys()

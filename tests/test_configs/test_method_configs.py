"""Every method config builds and runs two training iterations and one
validation step on generated data of its configured input size, with the
teacher's model-zoo URL replaced by a locally saved checkpoint."""
import glob
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests.generated_data import smoke_cfg
from tests.helpers import (CONFIGS, save_trained_like_teacher,
                           state_dict_copy)

METHODS = ('ofd', 'pefd', 'nd', 'tofd')
METHOD_CONFIGS = sorted(
    p for m in METHODS for p in glob.glob(osp.join(CONFIGS, m, '*.py')))


@pytest.mark.parametrize('path', METHOD_CONFIGS,
                         ids=[osp.relpath(p, CONFIGS) for p in METHOD_CONFIGS])
def test_config_trains_and_validates(path, tmp_path):
    cfg = Config.fromfile(path)
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    teacher_bytes = open(ckpt, 'rb').read()
    runner = Runner.from_cfg(smoke_cfg(cfg, str(tmp_path / 'work'), ckpt))
    teacher_before = state_dict_copy(runner.model.teacher)
    runner.train()
    scalars = runner.message_hub.log_scalars
    for name in cfg.model.distill_losses:
        value = scalars[f'train/{name}'].current()
        assert math.isfinite(value), f'{name} = {value}'
    assert math.isfinite(scalars['train/loss'].current())
    assert any(k.startswith('val/') for k in scalars), sorted(scalars)
    after = state_dict_copy(runner.model.teacher)
    assert all(torch.equal(teacher_before[k], after[k]) for k in after)
    assert open(ckpt, 'rb').read() == teacher_bytes

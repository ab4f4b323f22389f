import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools import export_student
from mmfeatdistill.utils import resolve_model_cfg
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import (cls_batch, config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_model_checkpoint)


def test_export_round_trip(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 10)
    cfg = Config.fromfile(
        config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'))
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg = fast_runner_cfg(cfg, str(tmp_path / 'work'), data_root, max_iters=2)
    runner = Runner.from_cfg(cfg)
    runner.train()
    distill_ckpt = osp.join(cfg.work_dir, 'iter_2.pth')
    out = str(tmp_path / 'student.pth')
    before = open(distill_ckpt, 'rb').read()
    export_student.main([distill_ckpt, out])
    assert open(distill_ckpt, 'rb').read() == before, 'input modified'

    exported = load_checkpoint_file(out, map_location="cpu")
    keys = exported['state_dict'].keys()
    assert not any(
        k.startswith(('teacher', 'connectors', 'student.')) for k in keys)
    # the plain mmpretrain model loads it strictly ...
    plain_cfg = resolve_model_cfg(dict(cfg.model.student), 'student',
                                  cfg.data_preprocessor)
    plain = MODELS.build(plain_cfg)
    plain.load_state_dict(exported['state_dict'], strict=True)
    # ... and gives the distilled student's logits exactly
    distilled = runner.model.eval()
    plain.eval()
    data = distilled.data_preprocessor(cls_batch(3, (1, 28, 28)), False)
    with torch.no_grad():
        a = distilled(data['inputs'], mode='tensor')
        b = plain(data['inputs'], mode='tensor')
    assert torch.equal(a, b)


def test_export_refuses_other_checkpoints(tmp_path):
    path = str(tmp_path / 'plain.pth')
    torch.save({'state_dict': {'backbone.w': torch.zeros(1)}}, path)
    with pytest.raises(KeyError, match='not a distillation checkpoint'):
        export_student.main([path, str(tmp_path / 'out.pth')])
    with pytest.raises(ValueError, match='overwrite'):
        export_student.main([path, path])


def test_export_checkpoint_without_meta(tmp_path):
    path = str(tmp_path / 'no_meta.pth')
    torch.save({
        'state_dict': {
            'student.w': torch.ones(1)
        },
        'meta': None
    }, path)
    out = str(tmp_path / 'out.pth')
    export_student.main([path, out])
    exported = load_checkpoint_file(out)
    assert torch.equal(exported['state_dict']['w'], torch.ones(1))
    assert exported['meta'] == {
        'exported_by': 'mmfeatdistill.tools.export_student'
    }

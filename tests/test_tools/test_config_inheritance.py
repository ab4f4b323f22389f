"""A user's config outside the repository inherits ours with
``_base_ = ['mmfeatdistill::...']`` (the README's new-pair recipe), read
by ``Config.fromfile`` once ``mmfeatdistill`` is imported, trained by
``tools/train.py``'s main and by ``mim train mmfeatdistill``."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

import mmfeatdistill  # noqa: F401 - registers the `mmfeatdistill::` prefix
from mmfeatdistill.tools.train import main as train_main
from tests.helpers import (REPO, config_path, make_fake_fashion_mnist,
                           save_model_checkpoint)

KD = 'kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py'

USER_CONFIG = '''\
_base_ = ['mmfeatdistill::{base}']
model = dict(teacher_ckpt={teacher!r})
train_dataloader = dict(batch_size=4, num_workers=0,
                        persistent_workers=False,
                        dataset=dict(data_root={data!r}))
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=1)
param_scheduler = []
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=1),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
visualizer = dict(name={name!r})
'''


@pytest.fixture(scope='module')
def user_project(tmp_path_factory):
    """A folder outside the repository with a config, data and a teacher."""
    root = tmp_path_factory.mktemp('user_project')
    assert not str(root).startswith(REPO)
    data = make_fake_fashion_mnist(str(root / 'data'), 8, 4)
    teacher = str(root / 'teacher.pth')
    save_model_checkpoint(
        Config.fromfile(config_path(KD)).model.teacher, teacher)
    path = root / 'my_kd.py'
    path.write_text(
        USER_CONFIG.format(base=KD, teacher=teacher, data=data,
                           name=f'visualizer:{root}'))
    return root, str(path)


def test_config_outside_repo_inherits_ours(user_project):
    root, path = user_project
    cfg = Config.fromfile(path)
    ours = Config.fromfile(config_path(KD))
    assert cfg.model.type == 'FeatureDistiller'
    assert cfg.model.distill_losses == ours.model.distill_losses
    assert cfg.default_scope == 'mmfeatdistill'
    assert cfg.train_cfg == dict(by_epoch=False, max_iters=1)
    runtime = Config.fromstring(
        "_base_ = ['mmfeatdistill::_base_/distill_runtime.py']\n", '.py')
    assert runtime.default_scope == 'mmfeatdistill'


def test_train_from_outside_repo(user_project):
    root, path = user_project
    runner = train_main([path, '--work-dir', str(root / 'work')])
    assert runner.iter == 1
    assert osp.isfile(root / 'work' / 'iter_1.pth')


def test_mim_train_from_outside_repo(user_project):
    """As a user runs it: from the project folder, no PYTHONPATH."""
    root, path = user_project
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run([
        mim, 'train', 'mmfeatdistill', path, '--work-dir',
        str(root / 'mim_work')
    ], cwd=str(root), env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert 'loss_kd' in out
    assert osp.isfile(root / 'mim_work' / 'iter_1.pth')

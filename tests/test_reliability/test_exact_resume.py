"""Train N iterations, stop, resume to 2N: the student, connectors, margins,
class means and schedules end exactly as in an uninterrupted 2N run."""

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.tools.train import (add_rng_state_hook,
                                       use_atomic_checkpoint_hook)
from tests.helpers import (config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_distill_teacher)

METHODS = {
    'ofd': 'ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py',
    'tofd': 'tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py',
    'pefd': 'pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py',
    'nd': 'nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py',
}


@pytest.mark.parametrize('method', sorted(METHODS))
def test_resume_equals_uninterrupted_run(method, tmp_path):
    path = config_path(METHODS[method])
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 40, 8)
    ckpt = save_distill_teacher(path, Config.fromfile(path), tmp_path)

    def run(name, max_iters, resume_from=None):
        cfg = fast_runner_cfg(Config.fromfile(path), str(tmp_path / name),
                              data_root, max_iters=max_iters)
        cfg.model.teacher_ckpt = ckpt
        if method == 'nd':
            cfg.model.distill_losses.loss_nd.class_means = str(
                tmp_path / 'class_means.pth')
        cfg.randomness = dict(seed=0, deterministic=True)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                            by_epoch=False)
        add_rng_state_hook(cfg)  # as tools/train.py does
        use_atomic_checkpoint_hook(cfg)
        if resume_from:
            cfg.resume = True
            cfg.load_from = resume_from
        runner = Runner.from_cfg(cfg)
        runner.train()  # resumes weights-only: no opt-in needed
        state = runner.model.state_dict()
        return {
            k: v.clone()
            for k, v in state.items() if not k.startswith('teacher.')
        }

    full = run('full', 4)
    run('half', 2)
    resumed = run('resumed', 4, str(tmp_path / 'half' / 'iter_2.pth'))
    assert full.keys() == resumed.keys()
    different = [k for k in full if not torch.equal(full[k], resumed[k])]
    assert not different, different[:10]
    assert any(k.startswith('connectors.') for k in full)
    if method == 'nd':
        assert full['distill_losses.loss_nd.class_means'].abs().sum() > 0

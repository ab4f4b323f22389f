"""tools/dist_train.sh: 2 processes on CPU (gloo) train every method's
config for a few iterations and finish cleanly; rank 0 alone writes the
checkpoint."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.helpers import (REPO, config_path, make_fake_fashion_mnist,
                           save_teacher_with_heads, save_trained_like_teacher)

METHODS = {
    'ofd': ('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py', 29611),
    'tofd': ('tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py', 29612),
    'pefd': ('pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py', 29613),
    'nd': ('nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py', 29614),
}


@pytest.mark.parametrize('method', sorted(METHODS))
def test_dist_train_two_cpu_processes(method, tmp_path):
    rel, port = METHODS[method]
    path = config_path(rel)
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 8)
    ckpt = str(tmp_path / 'teacher.pth')
    cfg = Config.fromfile(path)
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    if 'teacher_heads_config' in cfg:
        ckpt = save_teacher_with_heads(
            osp.join(osp.dirname(path), cfg.teacher_heads_config), ckpt,
            str(tmp_path / 'teacher_heads.pth'))
    work = str(tmp_path / 'work')
    opts = [f'model.teacher_ckpt={ckpt}', 'param_scheduler=[]',
            'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
            'default_hooks.logger.interval=1']
    if method == 'nd':
        opts.append('model.distill_losses.loss_nd.class_means='
                    f'{tmp_path / "class_means.pth"}')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # 32 images, 8 per process and step: 2 iterations
        opts += [f'{loader}.dataset.data_root={data_root}',
                 f'{loader}.num_workers=0', f'{loader}.batch_size=8',
                 f'{loader}.persistent_workers=False']
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), path, '2',
         '--work-dir', work, '--cfg-options', *opts],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Epoch(train) [1][2/2]' in out, out[-3000:]
    assert 'accuracy/top1' in out
    ckpts = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert ckpts == ['epoch_1.pth'], ckpts

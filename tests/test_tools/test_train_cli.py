"""tools/train.py, tools/test.py and `mim train` as a user runs them."""
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import REPO, config_path, fake_data_and_teacher

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')


def _short_options(data_root, ckpt, max_iters):
    opts = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0', f'{loader}.persistent_workers=False',
            f'{loader}.batch_size=8'
        ]
    return opts + [
        f'model.teacher_ckpt={ckpt}',
        'param_scheduler=[]',
        f'train_cfg.max_epochs={max_iters}',
        'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1',
    ]


def _run(cmd, cwd=REPO, env=None, **kwargs):
    env = dict(os.environ, PYTHONPATH=REPO) if env is None else env
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('cli')
    # 16 training images, batch 8: one "epoch" is 2 iterations
    data_root, ckpt = fake_data_and_teacher(root, KD_CFG, num_test=10)
    return root, data_root, ckpt


def test_train_resume_and_test_scripts(setup):
    root, data_root, ckpt = setup
    work = str(root / 'work')
    teacher_bytes = open(ckpt, 'rb').read()
    out = _run([
        sys.executable, 'tools/train.py', KD_CFG, '--work-dir', work,
        '--cfg-options', *_short_options(data_root, ckpt, 1)
    ])
    assert 'loss_kd' in out and 'loss_mse_stage4' in out
    assert osp.exists(osp.join(work, 'epoch_1.pth'))
    # --resume continues from the latest checkpoint to epoch 2
    out = _run([
        sys.executable, 'tools/train.py', KD_CFG, '--work-dir', work,
        '--resume', '--cfg-options', *_short_options(data_root, ckpt, 2)
    ])
    assert 'Load checkpoint from' in out or 'resumed' in out.lower()
    assert osp.exists(osp.join(work, 'epoch_2.pth'))
    # Runner checkpoints load weights-only; last_checkpoint names the
    # newest, written atomically (no temporary file left)
    assert load_checkpoint_file(osp.join(work, 'epoch_2.pth'),
                                map_location='cpu')['meta']['epoch'] == 2
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(work, 'epoch_2.pth')
    assert not [n for n in os.listdir(work) if n.endswith('.partial')]
    out = _run([
        sys.executable, 'tools/test.py', KD_CFG,
        osp.join(work, 'epoch_2.pth'), '--work-dir', work, '--cfg-options',
        *_short_options(data_root, ckpt, 2)
    ])
    assert 'accuracy/top1' in out
    assert open(ckpt, 'rb').read() == teacher_bytes


def test_mim_train(setup):
    """`mim train mmfeatdistill CFG` runs our tools/train.py (openmim is a
    test requirement, so it is always there)."""
    root, data_root, ckpt = setup
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    work = str(root / 'mim_work')
    # as a user runs it: from anywhere, without PYTHONPATH tricks
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = _run([
        mim, 'train', 'mmfeatdistill', KD_CFG, '--work-dir', work,
        '--cfg-options', *_short_options(data_root, ckpt, 1)
    ], cwd=str(root), env=env)
    assert 'loss_kd' in out
    assert osp.exists(osp.join(work, 'epoch_1.pth'))


def test_resume_with_another_config_and_test_after_training(setup):
    """--resume with a config whose model does not fit the checkpoint is a
    clear error (not torch's optimizer error after a partial load); --test
    evaluates the trained model on the test split."""
    from mmfeatdistill.tools import train
    root, data_root, ckpt = setup
    work = str(root / 'work_test')
    runner = train.main([
        KD_CFG, '--work-dir', work, '--test', '--cfg-options',
        *_short_options(data_root, ckpt, 1)
    ])
    import json
    with open(osp.join(work, 'test_metrics.json')) as f:
        metrics = json.load(f)
    assert 0 <= metrics['accuracy/top1'] <= 100
    assert runner.iter == 2
    other = _short_options(data_root, ckpt, 2) + [
        'model.connectors.s_stage4.out_channels=128',
        'model.connectors.s_stage4.in_channels=64'
    ]
    with pytest.raises(
            ValueError, match=r'--resume: .*epoch_1\.pth was '
            r'written by another config.*other shapes.*'
            r's_stage4.*load_from='):
        train.main(
            [KD_CFG, '--work-dir', work, '--resume', '--cfg-options', *other])

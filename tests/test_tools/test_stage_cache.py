"""The stage cache of the main job and the quality benchmark: keys cover
what determines the weights and nothing else; a stage killed in the middle
resumes (``--resume``) to the weights of an uninterrupted run."""
import dataclasses
import hashlib
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

import tests.kill_hook  # noqa: F401 (the killed run's hook, in its key)
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS, Stage
from mmfeatdistill.tools.stage_cache import (file_fingerprint, resolve_config,
                                             weight_key)
from mmfeatdistill.utils.checkpoint import load_checkpoint_file
from tests.helpers import config_path, make_fake_fashion_mnist

STUDENT = 'configs/fashion_mnist/student_resnet18-w8_fmnist.py'
OFD = config_path('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py')


def _key(path, *options):
    return weight_key(resolve_config(path, list(options)))[0]


def test_key_covers_weights_not_hooks_or_logging(tmp_path):
    base = _key(OFD)
    # logging, checkpoints and hooks that change no weight: same key
    assert _key(OFD, 'default_hooks.logger.interval=7',
                'default_hooks.checkpoint.interval=3',
                'log_processor.window_size=3') == base
    same = Config.fromfile(OFD)
    same.custom_hooks = list(same.custom_hooks) + [
        dict(type='mmfeatdistill.RNGStateHook'),
        dict(type='KillOnceHook', iteration=1, marker='x')
    ]
    assert weight_key(same)[0] == base
    # what determines the weights: another key each
    changed = [
        _key(OFD, 'randomness.seed=1'),
        _key(OFD, 'optim_wrapper.optimizer.lr=0.05'),
        _key(OFD, 'train_cfg.max_epochs=4'),
        _key(OFD, 'train_dataloader.batch_size=64'),
    ]
    # a hook that changes training (OFD's connector warm-up on SSD)
    ssd = config_path('ofd/'
                      'ofd_ssd-r18w32_ssd-r18w8_fmnist-scenes.py')
    warmup = Config.fromfile(ssd)
    hooks = [dict(h) for h in warmup.custom_hooks]
    for hook in hooks:
        if hook['type'].endswith('ConnectorWarmupHook'):
            length = 'warmup_iters' if 'warmup_iters' in hook else \
                'warmup_ratio'
            hook[length] *= 2
    assert hooks != warmup.custom_hooks
    warmup.custom_hooks = hooks
    assert weight_key(warmup)[0] != _key(ssd)
    assert len({base, *changed}) == 1 + len(changed)


def test_key_reads_files_by_content(tmp_path):
    data = make_fake_fashion_mnist(str(tmp_path / 'a'), 16, 8)
    copy = make_fake_fashion_mnist(str(tmp_path / 'b'), 16, 8)
    other = make_fake_fashion_mnist(str(tmp_path / 'c'), 16, 8, seed=1)
    keys = [
        _key(OFD, f'train_dataloader.dataset.data_root={root}')
        for root in (data, copy, other)
    ]
    assert keys[0] == keys[1] != keys[2]
    # an initialisation file (a teacher checkpoint, a pretrained
    # backbone) by content too; the device and the thread count
    ckpts = []
    for name, content in (('a', b'1'), ('b', b'1'), ('c', b'2')):
        ckpts.append(str(tmp_path / f'{name}.pth'))
        with open(ckpts[-1], 'wb') as f:
            f.write(content)
    init = [_key(OFD, f'model.teacher_ckpt={c}') for c in ckpts]
    assert init[0] == init[1] != init[2]
    cfg = resolve_config(OFD, [])
    assert len({
        weight_key(cfg, 'cpu', '1')[0],
        weight_key(cfg, 'cpu', '2')[0],
        weight_key(cfg, 'cuda (a GPU)', '1')[0]
    }) == 3


def test_killed_stage_resumes_to_the_uninterrupted_weights(tmp_path):
    """8 iterations (one epoch), 2 loader workers, a checkpoint every 2
    iterations; the stage's process is killed (SIGKILL) after iteration 5
    and ``--resume`` continues it from iteration 4."""
    fmnist = make_fake_fashion_mnist(str(tmp_path / 'fmnist'), 128, 16)
    marker = str(tmp_path / 'killed')
    killed = Config.fromfile(config_path(STUDENT[len('configs/'):]))
    killed.custom_imports = dict(imports=['tests.kill_hook'],
                                 allow_failed_imports=False)
    killed.custom_hooks = [
        dict(type='KillOnceHook', iteration=5, marker=marker)
    ]
    killed_config = str(tmp_path / 'student_killed.py')
    killed.dump(killed_config)
    table = EXPERIMENTS['cls']
    experiment = dataclasses.replace(
        table, stages=(Stage('teacher', STUDENT, 'teacher'),
                       Stage('student (baseline)', killed_config, 'baseline')))
    args = [
        '--work-dir',
        str(tmp_path / 'demo'), '--data-root', fmnist, '--epochs', '1',
        '--teacher-epochs', '1', '--train-subset', '64',
        '--teacher-train-subset', '16', '--batch-size', '8', '--workers', '2',
        '--checkpoint-interval', '2', '--log-interval', '1', '--quiet'
    ]
    with pytest.raises(RuntimeError, match='train.py failed'):
        demo.main(args, experiment=experiment)
    assert osp.exists(marker)
    teacher, resumed = demo.main(args + ['--resume'], experiment=experiment)
    assert teacher['cached'] and resumed['resumed']
    # the training curve of both runs, merged
    assert [r['step'] for r in resumed['records']
            if 'loss' in r] == list(range(1, 9))
    weights = load_checkpoint_file(resumed['ckpt'], 'cpu')['state_dict']
    assert load_checkpoint_file(resumed['ckpt'], 'cpu')['meta']['iter'] == 8
    # the same stage uninterrupted (the marker disarms the hook)
    _, full = demo.main(args + ['--no-cache'], experiment=experiment)
    assert not full['cached'] and not full['resumed']
    expected = load_checkpoint_file(full['ckpt'], 'cpu')['state_dict']
    different = [
        k for k in expected if not torch.equal(expected[k], weights[k])
    ]
    assert not different, different[:5]
    # other evaluation settings (a test subset): the cached weights are
    # evaluated again, not trained again
    mtime = osp.getmtime(full['ckpt'])
    teacher, again = demo.main(args + ['--test-subset', '8'],
                               experiment=experiment)
    assert not again['cached'] and again['resumed'] and teacher['resumed']
    assert again['ckpt'] == full['ckpt']
    assert osp.getmtime(full['ckpt']) == mtime


def test_resumed_stage_time_counts_every_run(tmp_path):
    """A resumed stage's time is its runs' time together (from each run's
    log), not the last run's alone."""
    for run, (start, end) in {
            '20261207_010000': ('01:00:00', '01:10:00'),
            '20261207_020000': ('02:00:00', '02:05:30')
    }.items():
        (tmp_path / run).mkdir()
        (tmp_path / run / f'{run}.log').write_text(
            f'2026/12/07 {start} - mmengine - INFO - start\n'
            'a line of the environment, no time stamp\n'
            f'2026/12/07 {end} - mmengine - INFO - Epoch(train) ...\n')
    (tmp_path / 'iter_8.pth').write_bytes(b'')
    assert demo.runs_time(str(tmp_path)) == 600 + 330


def test_a_file_is_read_again_only_when_its_stat_changes(tmp_path):
    """The data folder is in every stage's key: its files are read once per
    process, and again when a file changes (here: same size, new time)."""
    path = tmp_path / 'scene.png'
    path.write_bytes(b'first')
    first = file_fingerprint(str(path))
    stat = os.stat(path)
    path.write_bytes(b'other')
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_fingerprint(str(path)) == first  # same stat: not read
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1000))
    assert file_fingerprint(str(path)) != first
    assert file_fingerprint(str(path)) == hashlib.sha256(b'5' +
                                                         b'other').hexdigest()

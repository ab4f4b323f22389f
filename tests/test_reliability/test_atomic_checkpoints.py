"""Nothing lost: a run killed while writing a checkpoint (``max_keep_ckpts
=1``) resumes from the previous one; ``last_checkpoint`` only names
complete files; ``--resume`` skips a truncated or missing last checkpoint
with a warning naming both files; ``atomic_save`` never leaves a partial
file under the target's name."""
import glob
import os
import os.path as osp
import pickle
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import CheckpointHook

import mmfeatdistill.utils.checkpoint as ckpt_utils
from mmfeatdistill.engine.hooks import AtomicCheckpointHook
from mmfeatdistill.tools.train import main as train_main
from mmfeatdistill.tools.train import use_atomic_checkpoint_hook
from mmfeatdistill.utils import (ResumeFallbackWarning, atomic_save,
                                 find_resumable_checkpoint)
from tests.helpers import (REPO, config_path, fake_data_and_teacher,
                           fast_runner_cfg)

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')


@pytest.fixture(scope='module')
def kd_config(tmp_path_factory):
    """A KD config on fake data that saves every iteration and keeps one
    checkpoint; no validation (fast)."""
    root = tmp_path_factory.mktemp('atomic')
    data_root, teacher = fake_data_and_teacher(root, KD_CFG)
    cfg = fast_runner_cfg(Config.fromfile(KD_CFG), str(root / 'unused'),
                          data_root, max_iters=4, batch_size=4)
    cfg.model.teacher_ckpt = teacher
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1,
                                        by_epoch=False, max_keep_ckpts=1)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    path = str(root / 'kd_keep1.py')
    cfg.dump(path)
    return path


def _args(path, work, *opts, flags=()):
    """train.py's arguments (``flags`` before ``--cfg-options opts``); the
    visualizer is named after the work dir (see
    tests.helpers.own_visualizer)."""
    return [
        path, '--work-dir',
        str(work), *flags, '--cfg-options',
        f'visualizer.name=visualizer:{osp.abspath(str(work))}', *opts
    ]


def _last(work) -> str:
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def _resumed_from(work) -> str:
    """The 'resumed epoch: E, iter: I' line of the newest run's log."""
    logs = sorted(glob.glob(osp.join(str(work), '*', '*.log')))
    text = open(logs[-1]).read()
    return [line for line in text.splitlines() if 'resumed epoch' in line][0]


KILL_SCRIPT = textwrap.dedent('''
    import os, signal, sys
    import mmfeatdistill.utils.checkpoint as c

    def write_half_then_die(f, data):
        # the 3rd checkpoint: half of its bytes reach the disk, then kill -9
        if 'iter_3.pth' in f.name:
            f.write(data[:len(data) // 2])
            f.flush()
            os.fsync(f.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        f.write(data)

    c.write_all = write_half_then_die
    from mmfeatdistill.tools.train import main
    main(sys.argv[1:])
''')


def test_kill_during_save_leaves_a_resumable_run(kd_config, tmp_path):
    """SIGKILL in the middle of writing iter_3.pth (``max_keep_ckpts=1``):
    iter_2.pth is still there and complete, ``last_checkpoint`` names it,
    and ``--resume`` continues from it to the end."""
    work = tmp_path / 'work'
    proc = subprocess.run(
        [sys.executable, '-c', KILL_SCRIPT, *_args(kd_config, work)], cwd=REPO,
        env=dict(os.environ,
                 PYTHONPATH=REPO), capture_output=True, text=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    names = sorted(os.listdir(work))
    assert 'iter_2.pth' in names and 'iter_3.pth' not in names, names
    assert 'iter_1.pth' not in names, 'max_keep_ckpts=1 still applies'
    partial = [n for n in names if n.endswith('.partial')]
    assert len(partial) == 1 and partial[0].startswith('.iter_3.pth.')
    assert _last(work) == str(work / 'iter_2.pth')
    assert ckpt_utils.checkpoint_problem(str(work / 'iter_2.pth')) is None

    runner = train_main(_args(kd_config, work, flags=['--resume']))
    assert runner.iter == 4
    assert 'iter: 2' in _resumed_from(work)
    names = sorted(os.listdir(work))
    assert [n for n in names if n.endswith('.pth')] == ['iter_4.pth']
    assert not [n for n in names if n.endswith('.partial')], names
    assert _last(work) == str(work / 'iter_4.pth')


def test_failed_save_keeps_previous_checkpoint(kd_config, tmp_path,
                                               monkeypatch):
    """In-process: the write of iter_3.pth raises half-way. Nothing is
    left under its name, the temporary file is removed, iter_2.pth (the
    one max_keep_ckpts=1 would drop) is still there."""

    class Killed(BaseException):
        pass

    def write_half_then_fail(f, data):
        if 'iter_3.pth' in f.name:
            f.write(data[:len(data) // 2])
            raise Killed()
        f.write(data)

    monkeypatch.setattr(ckpt_utils, 'write_all', write_half_then_fail)
    work = tmp_path / 'work'
    with pytest.raises(Killed):
        train_main(_args(kd_config, work))
    assert sorted(os.listdir(work))[-1:] == ['last_checkpoint']
    assert [n for n in os.listdir(work) if 'pth' in n] == ['iter_2.pth']
    assert _last(work) == str(work / 'iter_2.pth')


def test_kill_before_dropping_the_outdated_checkpoint(kd_config, tmp_path,
                                                      monkeypatch):
    """Killed after iter_3.pth and last_checkpoint are written, before
    iter_2.pth (dropped by max_keep_ckpts=1) is deleted: the resumed run
    deletes it, so no checkpoint is left behind for good."""
    import mmfeatdistill.engine.hooks.atomic_checkpoint_hook as hook_module

    class Killed(BaseException):
        pass

    def write_then_die(text, path):
        atomic_write_text(text, path)
        if text.endswith('iter_3.pth'):
            raise Killed()

    atomic_write_text = hook_module.atomic_write_text
    monkeypatch.setattr(hook_module, 'atomic_write_text', write_then_die)
    work = tmp_path / 'work'
    with pytest.raises(Killed):
        train_main(_args(kd_config, work))
    names = sorted(n for n in os.listdir(work) if n.endswith('.pth'))
    assert names == ['iter_2.pth', 'iter_3.pth'] and _last(work) == str(
        work / 'iter_3.pth')
    monkeypatch.undo()

    runner = train_main(_args(kd_config, work, flags=['--resume']))
    assert runner.iter == 4 and 'iter: 3' in _resumed_from(work)
    assert sorted(n for n in os.listdir(work)
                  if n.endswith('.pth')) == ['iter_4.pth']
    log = sorted(glob.glob(osp.join(str(work), '*', '*.log')))[-1]
    assert 'iter_2.pth: max_keep_ckpts dropped it' in open(log).read()


def _training_checkpoint(path, it):
    torch.save(
        {
            'meta': {
                'iter': it,
                'epoch': 0
            },
            'state_dict': {},
            'message_hub': {}
        }, path)


def test_truncated_last_checkpoint_falls_back_with_warning(
        kd_config, tmp_path):
    """A run whose newest checkpoint was truncated outside our control
    (e.g. written by MMEngine's own hook, or a full disk)."""
    work = tmp_path / 'work'
    train_main(
        _args(kd_config, work, 'train_cfg.max_iters=2',
              'default_hooks.checkpoint.max_keep_ckpts=2'))
    good, newest = str(work / 'iter_1.pth'), str(work / 'iter_2.pth')
    assert _last(work) == newest
    with open(newest, 'r+b') as f:
        f.truncate(os.path.getsize(newest) // 2)
    with pytest.warns(ResumeFallbackWarning) as record:
        runner = train_main(
            _args(kd_config, work, 'train_cfg.max_iters=3',
                  flags=['--resume']))
    msg = str(record[0].message)
    assert newest in msg and good in msg and 'truncated' in msg
    assert 'iter: 1' in _resumed_from(work)
    assert runner.iter == 3


def test_find_resumable_checkpoint(tmp_path):
    work = str(tmp_path)
    assert find_resumable_checkpoint(work) is None  # a new run
    old, new = str(tmp_path / 'iter_1.pth'), str(tmp_path / 'iter_2.pth')
    _training_checkpoint(old, 1)
    _training_checkpoint(new, 2)
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(new)
    assert find_resumable_checkpoint(work) == new
    # a best checkpoint, a partial file and a non-training file are never
    # candidates
    _training_checkpoint(str(tmp_path / 'best_acc_iter_2.pth'), 2)
    (tmp_path / '.iter_3.pth.0a1b2c3d.partial').write_bytes(b'x')
    torch.save({'state_dict': {}}, str(tmp_path / 'teacher_with_heads.pth'))
    os.remove(new)  # last_checkpoint names a missing file
    with pytest.warns(ResumeFallbackWarning, match='missing') as record:
        assert find_resumable_checkpoint(work) == old
    assert new in str(record[0].message) and old in str(record[0].message)
    with open(old, 'wb') as f:  # empty
        pass
    with pytest.raises(FileNotFoundError) as info:
        find_resumable_checkpoint(work)
    msg = str(info.value)
    assert new in msg and old in msg and '--resume PATH' in msg
    assert 'teacher_with_heads.pth (not a training checkpoint' in msg


def test_atomic_save(tmp_path):
    target = str(tmp_path / 'sub' / 'x.pth')
    atomic_save({'a': torch.ones(2)}, target)
    assert torch.equal(
        torch.load(target, weights_only=True)['a'], torch.ones(2))
    before = open(target, 'rb').read()
    with pytest.raises((pickle.PicklingError, AttributeError)):
        atomic_save({'a': torch.zeros(2), 'f': lambda: 0}, target)
    assert open(target, 'rb').read() == before
    assert os.listdir(tmp_path / 'sub') == ['x.pth']


def test_plain_checkpoint_hook_is_replaced_keeping_arguments():
    cfg = Config(
        dict(default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=3,
                            max_keep_ckpts=1, _scope_='mmpretrain'))))
    use_atomic_checkpoint_hook(cfg)
    assert cfg.default_hooks.checkpoint == dict(
        type='mmfeatdistill.AtomicCheckpointHook', interval=3,
        max_keep_ckpts=1, _scope_='mmpretrain')
    cfg = Config(dict(default_hooks=dict(timer=dict(type='IterTimerHook'))))
    use_atomic_checkpoint_hook(cfg)  # the Runner's default, atomic
    assert cfg.default_hooks.checkpoint == dict(
        type='mmfeatdistill.AtomicCheckpointHook', interval=1)
    for kept in (None, dict(type='MyCheckpointHook', interval=1)):
        cfg = Config(dict(default_hooks=dict(checkpoint=kept)))
        use_atomic_checkpoint_hook(cfg)
        assert cfg.default_hooks.checkpoint == kept
    assert issubclass(AtomicCheckpointHook, CheckpointHook)

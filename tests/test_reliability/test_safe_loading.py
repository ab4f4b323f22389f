"""Checkpoints load weights-only: a pickle that runs code is refused as
teacher, for ``load_from``, ``--resume`` and by the tools, and runs nothing;
Runner-written checkpoints (message hub, numpy, dataset meta) load without
an opt-in; with the opt-in (``--trust-checkpoint`` or ``trust_checkpoints =
True``) a file outside the allow-list loads."""
import argparse
import builtins
import io
import os
import os.path as osp
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, Runner

from mmfeatdistill.tools import export_student
from mmfeatdistill.tools import test as test_tool
from mmfeatdistill.tools.train import main as train_main
from mmfeatdistill.utils import (UnreadableCheckpointError,
                                 UntrustedCheckpointError, read_checkpoint,
                                 trust_checkpoints)
from mmfeatdistill.utils.checkpoint import (SAFE_GLOBALS, SAFE_SCHEMES,
                                            load_checkpoint_file, safe_loaders)
from tests.helpers import (REPO, config_path, fake_data_and_teacher,
                           fast_runner_cfg)

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')
OPT_IN = ('trust_checkpoints = True', '--trust-checkpoint')


class _System:
    """Unpickling calls ``os.system('touch MARKER')``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class _Exec:
    """Unpickling writes MARKER through a builtin (``exec``)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (builtins.exec, (f'open({self.marker!r}, "w").close()', ))


def _evil(path: str, kind: str, marker: str, state_dict=None) -> str:
    payload = (_System if kind == 'system' else _Exec)(marker)
    torch.save({'state_dict': state_dict or {}, 'meta': {'x': payload}}, path)
    return path


def _assert_refused(info, names, marker=None) -> None:
    msg = str(info.value)
    assert info.type is UntrustedCheckpointError
    for name in names:
        assert name in msg, msg
    for hint in OPT_IN:
        assert hint in msg, msg
    if marker is not None:
        assert not osp.exists(marker), 'the pickle ran code'


@pytest.fixture(scope='module')
def env(tmp_path_factory):
    """Fake data, a teacher checkpoint and a 2-iteration config file."""
    root = tmp_path_factory.mktemp('safe')
    data_root, teacher = fake_data_and_teacher(root, KD_CFG)
    cfg = fast_runner_cfg(Config.fromfile(KD_CFG), str(root / 'unused'),
                          data_root, max_iters=2, batch_size=4)
    cfg.model.teacher_ckpt = teacher
    cfg.default_hooks.checkpoint.interval = 1
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    path = str(root / 'kd_fast.py')
    cfg.dump(path)
    return root, path, teacher


def _args(path, work, *extra):
    """train.py's arguments; the visualizer is named after the work dir
    (see tests.helpers.own_visualizer)."""
    extra = list(extra)
    name = f'visualizer.name=visualizer:{osp.abspath(str(work))}'
    if '--cfg-options' in extra:
        extra.append(name)
    else:
        extra += ['--cfg-options', name]
    return [path, '--work-dir', str(work), *extra]


@pytest.mark.parametrize('kind,name', [('system', 'posix.system'),
                                       ('exec', 'builtins.exec')])
def test_code_running_teacher_is_refused(env, tmp_path, kind, name):
    _, path, _ = env
    marker = str(tmp_path / 'MARKER')
    evil = _evil(str(tmp_path / 'teacher.pth'), kind, marker)
    with pytest.raises(UntrustedCheckpointError) as info:
        train_main(
            _args(path, tmp_path / 'work', '--cfg-options',
                  f'model.teacher_ckpt={evil}'))
    _assert_refused(info, [name, evil], marker)
    with pytest.raises(UntrustedCheckpointError):
        read_checkpoint(evil)
    assert not osp.exists(marker)


def test_code_running_load_from_is_refused(env, tmp_path):
    _, path, _ = env
    marker = str(tmp_path / 'MARKER')
    evil = _evil(str(tmp_path / 'iter_1.pth'), 'system', marker)
    with pytest.raises(UntrustedCheckpointError) as info:
        train_main(
            _args(path, tmp_path / 'work', '--cfg-options',
                  f'load_from={evil}'))
    _assert_refused(info, ['posix.system'], marker)
    # tools/test.py loads its checkpoint the same way
    with pytest.raises(UntrustedCheckpointError) as info:
        test_tool.main([path, evil] + _args(path, tmp_path / 'test')[1:])
    _assert_refused(info, ['posix.system'], marker)


def test_code_running_resume_is_refused(env, tmp_path):
    _, path, _ = env
    marker = str(tmp_path / 'MARKER')
    work = tmp_path / 'work'
    work.mkdir()
    evil = _evil(str(work / 'iter_1.pth'), 'exec', marker)
    with pytest.raises(UntrustedCheckpointError) as info:
        train_main(_args(path, work, '--resume', evil))
    _assert_refused(info, ['builtins.exec'], marker)
    # --resume without a path: last_checkpoint names it; refused, not
    # skipped for an older checkpoint
    (work / 'last_checkpoint').write_text(evil)
    with pytest.raises(UntrustedCheckpointError) as info:
        train_main(_args(path, work, '--resume'))
    _assert_refused(info, ['builtins.exec'], marker)


def test_runner_checkpoint_loads_without_opt_in(env, tmp_path):
    _, path, _ = env
    work = tmp_path / 'work'
    train_main(_args(path, work))
    ckpt = str(work / 'iter_2.pth')
    # what the allow-list is for: all of it loads weights-only
    with torch.serialization.safe_globals(SAFE_GLOBALS):
        state = torch.load(ckpt, weights_only=True)
    buffer = state['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert isinstance(buffer.data[0], np.ndarray)
    assert buffer.mean() == pytest.approx(float(np.mean(buffer.data[0])))
    assert state['meta']['dataset_meta']['classes'][0] == 'T-shirt/top'
    # --resume continues (no opt-in); load_from in a new run
    runner = train_main(
        _args(path, work, '--resume', '--cfg-options',
              'train_cfg.max_iters=3'))
    assert runner.iter == 3
    runner = train_main(
        _args(path, tmp_path / 'other', '--cfg-options', f'load_from={ckpt}',
              'train_cfg.max_iters=1', 'default_hooks.checkpoint=None'))
    assert runner.iter == 1
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ


def test_opt_in_loads_a_trusted_file(env, tmp_path):
    """A teacher checkpoint with an ``argparse.Namespace`` in its meta (as
    many training scripts write): refused by default, naming the type;
    loaded with ``--trust-checkpoint`` or ``trust_checkpoints=True``, only
    for that run."""
    _, path, teacher = env
    trusted = str(tmp_path / 'teacher_ns.pth')
    state = torch.load(teacher, weights_only=True)
    state['meta'] = {'args': argparse.Namespace(lr=0.1)}
    torch.save(state, trusted)
    opts = [
        '--cfg-options', f'model.teacher_ckpt={trusted}',
        'train_cfg.max_iters=1', 'default_hooks.checkpoint=None'
    ]
    with pytest.raises(UntrustedCheckpointError) as info:
        train_main(_args(path, tmp_path / 'a', *opts))
    _assert_refused(info, ['argparse.Namespace'])
    assert train_main(_args(path, tmp_path / 'b', '--trust-checkpoint',
                            *opts)).iter == 1
    assert train_main(
        _args(path, tmp_path / 'c', *opts, 'trust_checkpoints=True')).iter == 1
    # the opt-in ended with the run
    with pytest.raises(UntrustedCheckpointError):
        read_checkpoint(trusted)
    with trust_checkpoints():
        assert read_checkpoint(trusted)['meta']['args'].lr == 0.1
    assert read_checkpoint(trusted, trust=True)['meta']['args'].lr == 0.1


def test_export_student_refuses_and_opts_in(tmp_path):
    marker = str(tmp_path / 'MARKER')
    evil = _evil(str(tmp_path / 'evil.pth'), 'system', marker,
                 {'student.w': torch.zeros(1)})
    out = str(tmp_path / 'student.pth')
    with pytest.raises(UntrustedCheckpointError) as info:
        export_student.main([evil, out])
    _assert_refused(info, ['posix.system'], marker)
    assert not osp.exists(out)
    trusted = str(tmp_path / 'ns.pth')
    torch.save(
        {
            'state_dict': {
                'student.w': torch.ones(1)
            },
            'meta': {
                'args': argparse.Namespace(a=1)
            }
        }, trusted)
    export_student.main([trusted, out, '--trust-checkpoint'])
    assert torch.load(out, weights_only=False)['meta']['args'].a == 1


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    """MMEngine's HistoryBuffer pickles its statistics methods through
    ``getattr``; only those resolve."""

    class _Getattr:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, 'update'))

    path = str(tmp_path / 'getattr.pth')
    torch.save({'x': _Getattr()}, path)
    with pytest.raises(UntrustedCheckpointError) as info:
        read_checkpoint(path)
    _assert_refused(info, ['getattr', 'update'])
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    torch.save({'b': buffer}, path)
    assert read_checkpoint(path)['b'].mean() == 2.0


class _GatedFile(io.BytesIO):
    """A checkpoint file object whose first read sets ``started`` and then
    waits (at most ``timeout`` s) for ``gate``."""

    def __init__(self, data: bytes, started: threading.Event,
                 gate: threading.Event, timeout: float) -> None:
        super().__init__(data)
        self.started, self.gate, self.timeout = started, gate, timeout

    def read(self, *args):
        if not self.started.is_set():
            self.started.set()
            self.gate.wait(self.timeout)
        return super().read(*args)


def test_concurrent_safe_loads_keep_the_allow_list(tmp_path):
    """Two threads loading at once (``quality.py --jobs 2`` checks both
    stages' checkpoints before resuming them): torch's allow-list is one
    per process, so the first load to finish must not take it away from
    the other while that one unpickles (it did: a resumed stage refused its
    own checkpoint's numpy arrays, 2026-12-07)."""
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(seed=np.array([1, 2])), state_dict={}), path)
    data = path.read_bytes()
    a_in, b_in, a_done = (threading.Event() for _ in range(3))
    results = {}

    def load(name, file):
        try:
            results[name] = load_checkpoint_file(file)['meta']['seed'].tolist()
        except Exception as err:  # noqa: BLE001 - reported below
            results[name] = err
        if name == 'a':
            a_done.set()

    # a enters the allow-list and waits until b has entered it too; a then
    # finishes while b is still reading (b waits for a to unpickle)
    first = threading.Thread(target=load,
                             args=('a', _GatedFile(data, a_in, b_in, 2.0)))
    second = threading.Thread(target=load,
                              args=('b', _GatedFile(data, b_in, a_done, 5.0)))
    first.start()
    assert a_in.wait(5.0)
    second.start()
    first.join(10.0)
    second.join(10.0)
    assert results == dict(a=[1, 2], b=[1, 2])
    assert not [
        g for g in SAFE_GLOBALS if g in torch.serialization.get_safe_globals()
    ]


def test_safe_loads_leave_the_users_allow_list(tmp_path):
    """Entries the user put on torch's allow-list stay there after our
    loads (torch's own ``safe_globals`` block removes its entries on exit,
    whoever else had added them)."""
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(seed=np.array([1, 2])), state_dict={}), path)
    with torch.serialization.safe_globals([HistoryBuffer, np.ndarray]):
        assert read_checkpoint(str(path))['meta']['seed'].tolist() == [1, 2]
        assert {HistoryBuffer,
                np.ndarray} <= set(torch.serialization.get_safe_globals())
    assert read_checkpoint(str(path))['meta']['seed'].tolist() == [1, 2]
    assert not [
        g for g in SAFE_GLOBALS if g in torch.serialization.get_safe_globals()
    ]


def test_not_a_checkpoint_is_not_reported_as_untrusted(tmp_path):
    """A file that is no checkpoint at all (a web page, an empty file, a
    cut-short one) is named as such, not given the opt-in message (trusting
    it would not help)."""
    page = tmp_path / 'page.pth'
    page.write_text('<html><body>404</body></html>')
    with pytest.raises(UnreadableCheckpointError,
                       match=r'page\.pth\' is a web page \(HTML\)'):
        read_checkpoint(str(page))
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    with pytest.raises(UnreadableCheckpointError,
                       match=r'empty\.pth\' is empty \(0 bytes\)'):
        read_checkpoint(str(empty))
    text = tmp_path / 'notes.pth'
    text.write_text('weights are elsewhere')
    with pytest.raises(UnreadableCheckpointError,
                       match='is not a PyTorch file'):
        read_checkpoint(str(text))
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict=dict(w=torch.zeros(256))), whole)
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(UnreadableCheckpointError,
                       match=r'cut\.pth\' cannot be read .*cut short'):
        read_checkpoint(str(cut))


def test_import_changes_no_loading():
    """Importing mmfeatdistill (and building its registries) leaves
    MMEngine's loaders and torch's allow-list as they were."""
    code = ('import torch\n'
            'from mmengine.runner import CheckpointLoader\n'
            'schemes = dict(CheckpointLoader._schemes)\n'
            'import mmfeatdistill.engine, mmfeatdistill.models, '
            'mmfeatdistill.tools.train\n'
            'from mmfeatdistill.utils.checkpoint import SAFE_GLOBALS\n'
            'assert dict(CheckpointLoader._schemes) == schemes\n'
            'allowed = torch.serialization.get_safe_globals()\n'
            'assert not [g for g in SAFE_GLOBALS if g in allowed]\n')
    subprocess.run([sys.executable, '-c', code], check=True, cwd=REPO)


def _mmengine_loaders() -> None:
    """Put MMEngine's own loaders back (an earlier failed run in this
    process may have left ours installed)."""
    from mmengine.runner import checkpoint as mmengine_checkpoint
    for prefixes, ours in SAFE_SCHEMES:
        CheckpointLoader.register_scheme(
            prefixes, getattr(mmengine_checkpoint, ours.__name__), force=True)


def test_safe_loaders_nest_and_restore():
    from mmengine.runner import checkpoint as mmengine_checkpoint
    ours = SAFE_SCHEMES[0][1]
    _mmengine_loaders()
    with safe_loaders():
        with safe_loaders():
            assert CheckpointLoader._schemes[''] is ours
        assert CheckpointLoader._schemes[''] is ours
    assert CheckpointLoader._schemes[''] is mmengine_checkpoint.load_from_local


def test_runner_from_cfg_loads_safely_during_the_run(env, tmp_path):
    """The runtime base's SafeLoadingHook: ``Runner.from_cfg`` alone (no
    tools/train.py) refuses a code-running ``load_from``, and loads it
    with the config's ``trust_checkpoints = True``; after a run that ends,
    MMEngine's loaders are back."""
    from mmengine.runner import checkpoint as mmengine_checkpoint
    _, path, _ = env
    _mmengine_loaders()
    cfg = Config.fromfile(path)
    cfg.work_dir = str(tmp_path / 'ok')
    cfg.visualizer.name = f'visualizer:{cfg.work_dir}'
    Runner.from_cfg(cfg).train()
    assert CheckpointLoader._schemes[''] is mmengine_checkpoint.load_from_local
    marker = str(tmp_path / 'MARKER')
    cfg.load_from = _evil(str(tmp_path / 'iter_1.pth'), 'system', marker)
    cfg.work_dir = str(tmp_path / 'evil')
    cfg.visualizer.name = f'visualizer:{cfg.work_dir}'
    try:
        with pytest.raises(UntrustedCheckpointError) as info:
            Runner.from_cfg(cfg).train()
    finally:
        # the failed run never reached after_run
        _mmengine_loaders()
    _assert_refused(info, ['posix.system'], marker)
    # the config's opt-in reaches the run's loads without tools/train.py
    cfg.trust_checkpoints = True
    cfg.load_from = _evil(str(tmp_path / 'iter_1.pth'), 'exec', marker)
    cfg.work_dir = str(tmp_path / 'trusted')
    cfg.visualizer.name = f'visualizer:{cfg.work_dir}'
    try:
        Runner.from_cfg(cfg).train()
    except Exception:  # noqa: BLE001 - the fake checkpoint has no weights
        pass
    finally:
        _mmengine_loaders()
    assert osp.exists(marker), 'the trusted file was not unpickled'

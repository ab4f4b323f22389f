"""distill_runtime() on a package schedule that uses MMEngine's
``by_epoch=True`` shorthand (mmpretrain's): the loop it gives must be one
MMEngine's Runner builds."""
import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.presets import distill_runtime

LOOP = 'mmfeatdistill.ExactResumeEpochBasedTrainLoop'


def _merged(tmp_path, call: str) -> dict:
    (tmp_path / 'package.py').write_text(
        'train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)\n')
    (tmp_path / 'pair.py').write_text(
        "_base_ = ['./package.py']\n"
        'from mmfeatdistill.presets import distill_runtime\n'
        f'default_hooks, train_cfg = {call}\n')
    return Config.fromfile(str(tmp_path / 'pair.py')).train_cfg.to_dict()


def _refused_by_the_runner(train_cfg: dict) -> bool:
    """Whether Runner.build_train_loop stops at its type-or-by_epoch
    check (it goes on to need a runner otherwise)."""
    try:
        Runner.build_train_loop(None, dict(train_cfg))
    except RuntimeError as e:
        return 'Only one of `type` or `by_epoch`' in str(e)
    except Exception:
        return False
    return False


def test_the_loop_replaces_a_by_epoch_shorthand(tmp_path):
    merged = _merged(tmp_path, 'distill_runtime()')
    assert _refused_by_the_runner(merged)  # why max_epochs exists
    merged = _merged(tmp_path, 'distill_runtime(max_epochs=100)')
    assert merged == dict(type=LOOP, max_epochs=100, val_interval=1)
    assert not _refused_by_the_runner(merged)


@pytest.mark.parametrize('kwargs, loop', [
    (dict(), dict(type=LOOP)),
    (dict(by_epoch=False), dict()),
    (dict(max_epochs=30, val_interval=5),
     dict(_delete_=True, type=LOOP, max_epochs=30, val_interval=5)),
])
def test_distill_runtime_loop(kwargs, loop):
    hooks, train_cfg = distill_runtime(**kwargs)
    assert train_cfg == loop
    assert hooks['checkpoint'] == dict(
        type='mmfeatdistill.AtomicCheckpointHook')

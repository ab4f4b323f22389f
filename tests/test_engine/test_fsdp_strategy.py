"""``DistillerFSDPStrategy`` in one process: found by name through
MMEngine's registry, and what it refuses (the trainings are in
tests/test_reliability/test_fsdp.py)."""
import types

import pytest
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from torch import nn

from mmfeatdistill.engine.strategies import DistillerFSDPStrategy


def make(tmp_path, **kwargs) -> DistillerFSDPStrategy:
    """The strategy built as the FlexibleRunner builds it: by the scoped
    name, through MMEngine's root registry, without a launcher."""
    return MMENGINE_STRATEGIES.build(
        dict(type='mmfeatdistill.DistillerFSDPStrategy',
             work_dir=str(tmp_path), env_kwargs=dict(launcher='none'),
             **kwargs))


def test_built_by_scoped_name(tmp_path):
    strategy = make(tmp_path, shard_teacher=False)
    assert type(strategy) is DistillerFSDPStrategy
    assert strategy.shard_teacher is False


@pytest.mark.parametrize('kwargs, error, words', [
    (dict(state_dict_cfg='local'), ValueError, 'full checkpoints only'),
    (dict(shard_teacher='yes'), TypeError, 'shard_teacher'),
])
def test_refused_arguments(tmp_path, kwargs, error, words):
    with pytest.raises(error, match=words):
        make(tmp_path, **kwargs)


def test_refuses_a_model_that_is_no_distiller(tmp_path):
    with pytest.raises(TypeError, match='shards a FeatureDistiller'):
        make(tmp_path)._wrap_model(nn.Linear(2, 2))


def test_refuses_gradient_clipping(tmp_path):
    """The norm MMEngine computes would be each rank's shard's."""
    strategy = make(tmp_path)
    strategy.build_model(nn.Linear(2, 2))  # FSDPStrategy's parameter names
    with pytest.raises(ValueError, match='clip_grad'):
        strategy.build_optim_wrapper(
            dict(optimizer=dict(type='SGD', lr=0.1),
                 clip_grad=dict(max_norm=1.0)), nn.Linear(2, 2))


def test_connector_warmup_is_refused_under_fsdp():
    """ConnectorWarmupHook switches requires_grad of parameters that FSDP
    has flattened: it stops before training, naming what to do."""
    from mmfeatdistill.engine.hooks import ConnectorWarmupHook
    from mmfeatdistill.engine.strategies.distiller_fsdp import ShardedDistiller
    runner = types.SimpleNamespace(
        model=ShardedDistiller.__new__(ShardedDistiller))
    with pytest.raises(RuntimeError, match='DistillerFSDPStrategy'):
        ConnectorWarmupHook(warmup_iters=1).before_train(runner)

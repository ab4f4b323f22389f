"""Preset functions and hook types removed after 0.1.0: an old config that
still uses one gets an error naming what replaced it."""
import importlib

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmfeatdistill.registry import HOOKS

#: removed name -> a word of its replacement the message must contain
REMOVED_PRESETS = {
    'ofd_distiller': 'ofd(...)',
    'pefd_distiller': 'pefd(...)',
    'nd_kdpp_distiller': 'nd(..., kd=dict(',
    'nd_kdpp_hooks': 'custom_hooks that nd(...) returns',
    'tofd_distiller': 'tofd(...)',
    'tofd_temperature_hook': "tofd(...)'s model",
}


@pytest.mark.parametrize('name', sorted(REMOVED_PRESETS))
def test_removed_preset_import_names_the_replacement(name):
    presets = importlib.import_module('mmfeatdistill.presets')
    with pytest.raises(ImportError) as info:
        exec(f'from mmfeatdistill.presets import {name}', {})
    message = str(info.value)
    assert f'mmfeatdistill.presets.{name} was removed after version 0.1.0' \
        in message
    assert REMOVED_PRESETS[name] in message
    assert 'docs/changelog.md' in message
    with pytest.raises(ImportError, match=name):
        getattr(presets, name)


def test_unknown_preset_name_is_a_plain_attribute_error():
    presets = importlib.import_module('mmfeatdistill.presets')
    assert not hasattr(presets, 'no_such_preset')
    with pytest.raises(ImportError, match='cannot import name'):
        exec('from mmfeatdistill.presets import no_such_preset', {})


def test_old_config_with_removed_preset(tmp_path):
    """An old-style config that imports a removed preset stops while it is
    read, with the replacement in the message."""
    path = tmp_path / 'old_nd.py'
    path.write_text('_base_ = []\n'
                    'from mmfeatdistill.presets import nd_kdpp_distiller\n'
                    'model = nd_kdpp_distiller(teacher=None)\n')
    with pytest.raises(ImportError) as info:
        Config.fromfile(str(path))
    assert 'nd(..., kd=dict(' in str(info.value)


@pytest.mark.parametrize('hook,replacement', [
    ('LossWeightWarmupHook', 'nd(..., kd=dict(tau=..., weight=..., warmup='),
    ('TemperatureScheduleHook', "comes with tofd(...)'s model"),
])
def test_removed_hook_type_names_the_replacement(hook, replacement):
    """``custom_hooks=[dict(type=...)]`` of an old config: the Runner
    builds it from the registry, as here."""
    with DefaultScope.overwrite_default_scope('mmfeatdistill'):
        with pytest.raises(TypeError) as info:
            HOOKS.build(dict(type=hook, loss_names=['loss_kd']))
    message = str(info.value)
    assert f'{hook} was removed after mmfeatdistill 0.1.0' in message
    assert 'delete it from custom_hooks' in message
    assert replacement in message
    assert "FeatureDistiller(schedules=dict(" in message

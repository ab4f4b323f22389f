"""Every shipped config resolves to the same model, data, schedule and
optimizer as recorded in ``tests/data/resolved_configs.json``.

Config moves (bases that declare a pair once, the optimizer-wrapper
constructor in the pair bases, configs moved between folders) must not
change what a config trains; hooks, logging and the runtime are free to
change and are not compared (they are listed in docs/changelog.md when
they do). A config is recorded by its file name, so moving it to another
folder keeps its record.

After an intended change to what a config trains, rewrite the record::

    python -m tests.test_configs.test_resolved_configs --write
"""
import glob
import hashlib
import json
import os.path as osp
import sys
from typing import Dict

import pytest
from mmengine.config import Config

from tests.helpers import CONFIGS

RECORD = osp.join(osp.dirname(osp.dirname(__file__)), 'data',
                  'resolved_configs.json')

#: the parts of a config that determine the trained weights and the test
SECTIONS = {
    'model': ('model', ),
    'data': ('train_dataloader', 'val_dataloader', 'test_dataloader',
             'val_evaluator', 'test_evaluator'),
    'schedule': ('train_cfg', 'val_cfg', 'test_cfg', 'param_scheduler',
                 'randomness', 'auto_scale_lr', 'load_from'),
    'optimizer': ('optim_wrapper', ),
}

PATHS = sorted(p for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
               if osp.basename(osp.dirname(p)) != '_base_')


def resolved_sections(path: str) -> Dict[str, str]:
    """Hash each section of the resolved config ``path``.

    Args:
        path (str): A config file.

    Returns:
        dict: Section name to the SHA-256 of its canonical JSON.
    """
    cfg = Config.fromfile(path).to_dict()
    out = {}
    for name, keys in SECTIONS.items():
        part = {k: cfg.get(k) for k in keys}
        text = json.dumps(part, sort_keys=True, default=repr)
        out[name] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def _record() -> Dict[str, Dict[str, str]]:
    with open(RECORD) as f:
        return json.load(f)


@pytest.mark.parametrize('path', PATHS,
                         ids=[osp.relpath(p, CONFIGS) for p in PATHS])
def test_config_resolves_as_recorded(path):
    record = _record()
    name = osp.basename(path)
    assert name in record, (
        f'{name} has no record in {RECORD}: a new config is recorded with '
        '`python -m tests.test_configs.test_resolved_configs --write`')
    changed = [
        s for s, h in resolved_sections(path).items() if record[name][s] != h
    ]
    assert not changed, (
        f'{osp.relpath(path, CONFIGS)} now resolves to another '
        f'{", ".join(changed)} than recorded; if that is intended, rewrite '
        'the record (see this module\'s docstring) and say so in '
        'docs/changelog.md')


def test_every_record_has_a_config():
    names = {osp.basename(p) for p in PATHS}
    assert len(names) == len(PATHS), 'two configs share a file name'
    stale = sorted(set(_record()) - names)
    assert not stale, f'records of configs that no longer exist: {stale}'


if __name__ == '__main__' and '--write' in sys.argv:
    records = {osp.basename(p): resolved_sections(p) for p in PATHS}
    with open(RECORD, 'w') as f:
        json.dump(records, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'{len(records)} configs recorded in {RECORD}')

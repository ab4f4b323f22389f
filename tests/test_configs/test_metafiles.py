"""The model index that mim reads (OpenMMLab's layout): the root
``model-index.yml`` imports one ``configs/<method>/metafile.yml`` per method
folder, each with one collection (the paper) and one model per config.

Checked: every file parses; every imported path exists, in the checkout and
under the installed package's ``.mim/`` (where MMEngine's
``mmfeatdistill::`` lookup and ``mim search`` resolve them: a missing one
breaks every lookup); model names are unique, every ``In Collection`` names
a defined collection, every ``Config`` (and TOFD's ``Teacher Heads
Config``) exists; no model claims weights (none are released); every
``Results`` entry cites the committed benchmark table it comes from
(``Table: <results file>#<section>``, the section between the markers
``benchmarks/quality.py`` writes) with the ``Command`` that wrote it, and
each of its numbers is the mean the table gives in the row of the model's
config (the row the experiment table, ``mmfeatdistill/tools/
experiments.py``, names for that config); and every distillation config is
listed. A distillation config is any
``configs/<folder>/*.py`` outside ``configs/_base_`` (fragments, no model)
whose parsed config (``mmengine.config.Config.fromfile``, all of them in
about 10 s on 2 busy cores) has ``model.type == 'FeatureDistiller'``, or
``'AuxHeadTrainer'``: TOFD's step 1 (``tofd-teacher-heads_*``), which the
TOFD metafile lists too, marked by a ``Step`` in its Metadata.
"""
import glob
import os.path as osp
import re
from typing import Dict, Tuple

import pytest
import yaml
from mmengine.config import Config

import mmfeatdistill  # registers the `mmfeatdistill::` config prefix
from mmfeatdistill.tools.experiments import EXPERIMENTS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
INDEX = osp.join(REPO, 'model-index.yml')
TASKS = ('Image Classification', 'Object Detection', 'Semantic Segmentation')
#: model types of our trained models: distillers, TOFD's head trainer
TRAINED = ('FeatureDistiller', 'AuxHeadTrainer')
#: metric name in the metafiles (OpenMMLab's) -> column of the results
#: tables (the experiment table's metric labels)
METRIC_COLUMNS = {
    'Top 1 Accuracy': 'top-1 (%)',
    'mIoU': 'mIoU (%)',
    'box AP': 'mAP (%)',
    'box AP50': 'mAP@0.5 (%)',
}


def _load(path: str) -> dict:
    with open(path) as f:
        return yaml.safe_load(f)


def _task_of(name: str) -> str:
    """The task a config's name says (its base's model family)."""
    if 'ssd' in name or 'retinanet' in name:
        return 'Object Detection'
    if 'deeplabv3plus' in name:
        return 'Semantic Segmentation'
    return 'Image Classification'


def _results_section(path: str,
                     section: str) -> Tuple[str, Dict[str, Dict[str, str]]]:
    """The command and the rows (row name -> column header -> cell) of
    the table in ``section`` of the results file ``path``."""
    with open(path) as f:
        text = f.read()
    begin = re.search(rf'<!-- {re.escape(section)}: written by [^>]* -->',
                      text)
    assert begin, f'{path} has no section {section!r}'
    end = text.index(f'<!-- end of {section} -->', begin.end())
    body = text[begin.end():end]
    command = re.search(r'Command: `([^`]*)`', body)
    assert command, f'{path}#{section} names no command'
    lines = [line for line in body.splitlines() if line.startswith('|')]
    header, rows = None, {}
    for line in lines:
        cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
        if header is None:
            header = cells
        elif not set(''.join(cells)) <= set('-:'):
            rows[cells[0]] = dict(zip(header, cells))
    return command.group(1), rows


def _row_of(config: str, results_file: str) -> str:
    """The row of ``config`` in the tables of ``results_file``: the name
    of its stage in the experiment that writes that file."""
    names = [
        stage.name for experiment in EXPERIMENTS.values()
        if experiment.results_file == results_file
        for stage in experiment.stages if stage.config == config
    ]
    assert len(names) == 1, (config, results_file, names)
    return names[0]


def _imports() -> list:
    return _load(INDEX)['Import']


def _models() -> list:
    return [
        model for path in _imports()
        for model in _load(osp.join(REPO, path))['Models']
    ]


@pytest.fixture(scope='module')
def trained_configs() -> dict:
    """Repo-relative path -> parsed config of every config of ours that
    trains a model of ours (a distiller or TOFD's teacher-head trainer)."""
    found = {}
    for path in sorted(glob.glob(osp.join(REPO, 'configs', '*', '*.py'))):
        if osp.basename(osp.dirname(path)) == '_base_':
            continue
        cfg = Config.fromfile(path)
        if cfg.get('model', {}).get('type') in TRAINED:
            found[osp.relpath(path, REPO)] = cfg
    return found


def test_index_imports_every_method_metafile():
    imports = _imports()
    assert imports and len(set(imports)) == len(imports)
    for path in imports:
        assert not osp.isabs(path), path
        assert osp.isfile(osp.join(REPO, path)), path
    # every metafile of the tree is imported
    found = glob.glob(osp.join(REPO, 'configs', '*', 'metafile.yml'))
    assert sorted(osp.relpath(p, REPO) for p in found) == sorted(imports)


def test_installed_index_resolves():
    """MMEngine reads ``<package>/.mim/model-index.yml`` on every
    ``mmfeatdistill::`` lookup and joins the imports to ``.mim/``."""
    mim_root = osp.join(osp.dirname(mmfeatdistill.__file__), '.mim')
    index = osp.join(mim_root, 'model-index.yml')
    if not osp.isfile(index):
        pytest.skip('no .mim/model-index.yml (setup.py not run)')
    for path in _load(index)['Import']:
        assert osp.isfile(osp.join(mim_root, path)), path


@pytest.mark.parametrize('path', _imports())
def test_metafile(path):
    meta = _load(osp.join(REPO, path))
    assert set(meta) == {'Collections', 'Models'}, sorted(meta)
    (collection, ) = meta['Collections']
    assert collection['Metadata']['Training Techniques'] == [
        'Knowledge Distillation'
    ]
    assert collection['Paper']['URL'].startswith('https://')
    assert collection['Paper']['Title']
    assert osp.isfile(osp.join(REPO, collection['README']))
    folder = osp.dirname(path)
    for model in meta['Models']:
        name, config = model['Name'], model['Config']
        assert model['In Collection'] == collection['Name'], name
        assert osp.isfile(osp.join(REPO, config)), config
        assert osp.splitext(osp.basename(config))[0] == name
        # one folder per method
        assert osp.dirname(config) == folder, name
        # nothing released; measured numbers: test_results_match_tables
        assert 'Weights' not in model, name
        data = model['Metadata']
        assert data['Task'] in TASKS, name
        assert data['Task'] == _task_of(name), name
        assert data['Dataset'] and data['Teacher'], name
        assert ('Step' in data) == ('teacher-heads' in name), name
        if 'Step' not in data:
            assert data['Student'], name
        if 'Teacher Heads Config' in data:
            assert osp.isfile(osp.join(REPO, data['Teacher Heads Config']))


def test_results_match_tables():
    """Each ``Results`` entry equals the mean its table gives for the
    model's config, under the command that table was written with."""
    measured = [m for m in _models() if m.get('Results') is not None]
    assert measured
    for model in measured:
        name, data = model['Name'], model['Metadata']
        assert isinstance(model['Results'], list) and model['Results'], name
        for result in model['Results']:
            assert set(result) == {
                'Task', 'Dataset', 'Metrics', 'Table', 'Command'
            }, (name, sorted(result))
            assert (result['Task'], result['Dataset']) == \
                (data['Task'], data['Dataset']), name
            path, section = result['Table'].split('#', 1)
            assert osp.dirname(path) == 'benchmarks/results', name
            command, rows = _results_section(osp.join(REPO, path), section)
            assert result['Command'] == command, name
            row = rows[_row_of(model['Config'], osp.basename(path))]
            assert result['Metrics'], name
            for metric, value in result['Metrics'].items():
                cell = row[f'{METRIC_COLUMNS[metric]} mean ± std']
                mean = float(cell.split('±')[0])
                assert value == mean, (name, metric, value, cell)


def test_names_unique_and_collections_defined():
    collections = [
        c['Name'] for path in _imports()
        for c in _load(osp.join(REPO, path))['Collections']
    ]
    assert len(set(collections)) == len(collections), collections
    models = _models()
    names = [m['Name'] for m in models]
    assert len(set(names)) == len(names)
    assert {m['In Collection'] for m in models} <= set(collections)


def test_every_distillation_config_is_listed(trained_configs):
    listed = {m['Config']: m for m in _models()}
    assert trained_configs
    missing = sorted(set(trained_configs) - set(listed))
    assert not missing, f'not in any metafile: {missing}'
    for path, cfg in trained_configs.items():
        data = listed[path]['Metadata']
        assert ('Step' in data) == (cfg.model.type == 'AuxHeadTrainer'), path
        heads = cfg.get('teacher_heads_config')
        if heads:  # TOFD: the model names its step-1 config
            assert data['Teacher Heads Config'] == osp.normpath(
                osp.join(osp.dirname(path), heads)), path
        else:
            assert 'Teacher Heads Config' not in data, path


def test_mim_loads_the_index():
    """``mim search`` loads the index with ``modelindex``; its only
    complaint may be the README paths, which OpenMMLab writes from the
    repository root (as the ``Config`` paths) and modelindex resolves from
    the metafile's folder (mmpretrain's index gets the same)."""
    load = pytest.importorskip('modelindex.load_model_index').load
    index = load(INDEX)
    assert len(index.models) == len(_models())
    errors = [e for e in index.check(silent=True) if 'README' not in e]
    assert not errors, errors

"""Every full-scale method config (those of no experiment of the table:
the table's are run by the demo tests) builds and runs one training
iteration and one validation step on generated data of its configured
input size (or, for a config too slow on a CPU at that size, the smaller
one of ``SMALL_INPUT``), with the teacher's model-zoo URL replaced by a
locally saved checkpoint."""
import copy
import glob
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmfeatdistill.tools.experiments import EXPERIMENTS
from tests.generated_data import smoke_cfg
from tests.helpers import (CONFIGS, save_teacher_with_heads,
                           save_trained_like_teacher, state_dict_copy)


def _trained_model_type(path: str) -> str:
    model = Config.fromfile(path).get('model', {})
    return model.get('type', '')


#: configs of our own models (distillers, TOFD's teacher-head trainer)
DISTILL_CONFIGS = sorted(p for p in glob.glob(osp.join(CONFIGS, '*', '*.py'))
                         if _trained_model_type(p) in ('FeatureDistiller',
                                                       'AuxHeadTrainer'))
IN_TABLE = {
    osp.normpath(osp.join(osp.dirname(CONFIGS), path))
    for e in EXPERIMENTS.values()
    for s in e.stages
    for path in (s.config, s.teacher_heads) if path
}
METHOD_CONFIGS = [p for p in DISTILL_CONFIGS if p not in IN_TABLE]
#: config -> the ``Resize`` scale it runs at here instead of its own
#: (``smoke_cfg``'s ``scale``): COCO's 1333x800 (a RetinaNet pair's step
#: takes too long on a CPU) and VOC12aug's 512x512 crops (an R101-D8
#: teacher's step: 37-84 s a config)
SMALL_INPUT = {
    'pefd/pefd_retinanet_swin-tiny_r18_fpn_1x_coco.py': (160, 128),
    **{
        osp.relpath(p, CONFIGS): (512, 128)
        for p in glob.glob(osp.join(CONFIGS, '*', '*_voc12aug.py'))
    }
}


@pytest.mark.parametrize('path', METHOD_CONFIGS,
                         ids=[osp.relpath(p, CONFIGS) for p in METHOD_CONFIGS])
def test_config_trains_and_validates(path, tmp_path):
    cfg = Config.fromfile(path)
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(cfg.model.get('teacher', cfg.model.get('model')),
                              ckpt)
    if 'teacher_heads_config' in cfg:
        # TOFD: the teacher checkpoint carries the (step 1) auxiliary heads
        ckpt = save_teacher_with_heads(
            osp.join(osp.dirname(path), cfg.teacher_heads_config), ckpt,
            str(tmp_path / 'teacher_with_heads.pth'))
    teacher_bytes = open(ckpt, 'rb').read()
    runner = Runner.from_cfg(
        smoke_cfg(cfg, str(tmp_path / 'work'), ckpt, max_iters=1,
                  scale=SMALL_INPUT.get(osp.relpath(path, CONFIGS))))
    # the config's own parameter schedulers (the smoke run trains
    # without them) build on its optimizer: a shipped schedule that
    # MMEngine refuses fails here, not in a user's first run
    runner.optim_wrapper = runner.build_optim_wrapper(
        copy.deepcopy(cfg.optim_wrapper))
    declared = cfg.get('param_scheduler') or []
    declared = declared if isinstance(declared, list) else [declared]
    schedulers = runner.build_param_scheduler(copy.deepcopy(declared))
    assert len(schedulers) == len(declared)
    frozen = runner.model.get_submodule('model' if cfg.model.type ==
                                        'AuxHeadTrainer' else 'teacher')
    teacher_before = state_dict_copy(frozen)
    runner.train()
    scalars = runner.message_hub.log_scalars
    names = list(cfg.model.get('distill_losses', {})) or [
        k[len('train/'):] for k in scalars if k.startswith('train/loss_')
    ]
    assert names
    for name in names:
        value = scalars[f'train/{name}'].current()
        assert math.isfinite(value), f'{name} = {value}'
    assert math.isfinite(scalars['train/loss'].current())
    assert any(k.startswith('val/') for k in scalars), sorted(scalars)
    after = state_dict_copy(frozen)
    assert all(torch.equal(teacher_before[k], after[k]) for k in after)
    assert open(ckpt, 'rb').read() == teacher_bytes


def test_readme_table_has_every_method_on_every_task():
    """The README's method x task table: a row per method, a cell per task,
    every linked config one that ``test_config_trains_and_validates``
    runs."""
    import re
    readme = open(osp.join(osp.dirname(CONFIGS), 'README.md')).read()
    table = readme.split('| method | classification | detection')[1]
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.startswith('|'):
            break
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        rows[cells[0]] = cells[1:]
    methods = {
        s.name.split(' ')[0]
        for e in EXPERIMENTS.values()
        for s in e.stages if s.kind == 'method'
    }
    assert sorted(rows) == sorted(methods)
    tested = {osp.relpath(p, osp.dirname(CONFIGS)) for p in DISTILL_CONFIGS}
    for method, cells in rows.items():
        for task, cell in zip(('cls', 'det', 'seg'), cells):
            links = re.findall(r'\]\((configs/[^)]+\.py)\)', cell)
            assert links, f'{method} / {task}: no config in {cell!r}'
            assert set(links) <= tested, (method, task, links)
            assert (task != 'det' or all(
                'ssd' in p
                for p in links)) and (task != 'seg' or all('deeplab' in p
                                                           for p in links))

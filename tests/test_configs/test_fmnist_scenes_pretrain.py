"""Backbone pretraining of the Fashion-MNIST scenes' dense tasks (the
scenes' analogue of ImageNet pretraining,
``configs/fashion_mnist/pretrain_*-backbone_fmnist.py``): each config
trains on generated Fashion-MNIST files, and the detector, the segmentor
and a distilled student, built with the ``init_cfg`` options the demo
passes, start from the pretrained backbone's weights, every tensor of
them; a checkpoint that does not fit is refused."""
import os.path as osp
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from mmfeatdistill.registry import DATASETS, MODELS
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS, Stage
from mmfeatdistill.tools.stage_cache import resolve_config
from mmfeatdistill.utils.checkpoint import safe_loaders
from tests.helpers import fast_runner_cfg, make_fake_fashion_mnist

#: (task, role) -> pretraining config
PRETRAIN = {
    (task, role): config
    for task in ('det', 'seg')
    for role, config in EXPERIMENTS[task].pretrain.items()
}
#: the scenes' dataset bases (their normalisation)
SCENES_DATA = dict(det='configs/_base_/datasets/fmnist_scenes_det.py',
                   seg='configs/_base_/datasets/fmnist_scenes_seg.py')
#: the package of each task's backbone
SCOPES = dict(det='mmdet', seg='mmseg')


def _stages(task: str) -> Dict[str, Stage]:
    """The teacher, the plain student and the first distilled student."""
    stages = EXPERIMENTS[task].stages
    return dict(
        teacher=stages[0], baseline=stages[1],
        distilled=next(s for s in stages if s.kind in ('reference', 'method')))


@pytest.fixture(scope='module')
def pretrained(tmp_path_factory) -> Dict[tuple, str]:
    """(task, role) -> the checkpoint of its pretraining config after one
    iteration (batch 8) on generated Fashion-MNIST."""
    root = tmp_path_factory.mktemp('pretrain')
    data_root = make_fake_fashion_mnist(str(root / 'data'), 16, 8)
    ckpts = {}
    for (task, role), config in PRETRAIN.items():
        cfg = Config.fromfile(osp.join(demo.REPO, config))
        work = str(root / f'{task}_{role}')
        cfg = fast_runner_cfg(cfg, work, data_root, max_iters=1)
        runner = Runner.from_cfg(cfg)
        runner.train()
        loss = runner.message_hub.get_scalar('train/loss').current()
        assert 0 < loss < 10, (config, loss)
        ckpts[(task, role)] = osp.join(work, 'iter_1.pth')
    return ckpts


@pytest.mark.parametrize('task, role', sorted(PRETRAIN))
def test_pretrain_config(task, role, pretrained, tmp_path):
    cfg = Config.fromfile(osp.join(demo.REPO, PRETRAIN[(task, role)]))
    # the dense model's backbone dict, only out_indices changed
    stage = _stages(task)['teacher' if role == 'teacher' else 'baseline']
    dense = Config.fromfile(osp.join(demo.REPO, stage.config)).model.backbone
    assert cfg.model.type == 'ImageClassifier'
    assert cfg.model.backbone.type == f'{SCOPES[task]}.{dense.type}'
    assert {k: v for k, v in cfg.model.backbone.items()
            if k not in ('type', 'out_indices')} == \
        {k: v for k, v in dense.items() if k not in ('type', 'out_indices')}
    assert cfg.model.backbone.out_indices == (dense.num_stages - 1, )
    assert cfg.model.head.num_classes == 10
    # training images below 55000 only; validation on the held-out ones
    assert cfg.train_dataloader.dataset.indices == 55000
    assert cfg.val_dataloader.dataset.data_prefix == 'heldout'
    # the scenes' normalisation, on 3-channel 32x32 garments
    scenes = Config.fromfile(osp.join(demo.REPO, SCENES_DATA[task]))
    for key in ('mean', 'std'):
        assert cfg.data_preprocessor[key] == \
            scenes.data_preprocessor[key], key
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 16, 8)
    for loader in ('train_dataloader', 'val_dataloader'):
        spec = dict(cfg[loader].dataset, data_root=data_root)
        sample = DATASETS.build(spec)[0]
        assert sample['inputs'].shape == (3, 32, 32), loader
        assert sample['inputs'].dtype == torch.uint8
        assert torch.equal(sample['inputs'][0], sample['inputs'][2])
    # the checkpoint holds every tensor of the backbone
    state = torch.load(pretrained[(task, role)], map_location='cpu',
                       weights_only=False)['state_dict']
    backbone = MODELS.build(cfg.model).backbone.state_dict()
    saved = {k for k in state if k.startswith('backbone.')}
    assert saved == {f'backbone.{k}' for k in backbone}


def _build_with_pretrained(stage: Stage, ckpt: str,
                           log_file: str) -> torch.nn.Module:
    """Build ``stage``'s model with the demo's pretraining options and
    initialise it (as the Runner does, inside the runtime base's
    ``SafeLoadingHook``: the pretraining checkpoints are Runner
    checkpoints), logging into ``log_file``."""
    options = demo.pretrained_backbone_options(stage, ckpt)
    if stage.kind not in ('teacher', 'baseline'):
        # building is all this needs: no teacher checkpoint
        options += ['model.teacher_ckpt=None', 'model.untrained_teacher=True']
    cfg = resolve_config(osp.join(demo.REPO, stage.config), options)
    MMLogger.get_instance(f'pretrain-test:{log_file}', log_file=log_file)
    torch.manual_seed(1)
    model = MODELS.build(cfg.model)
    with safe_loaders():
        model.init_weights()
    return model


@pytest.mark.parametrize('task', ['det', 'seg'])
@pytest.mark.parametrize('kind', ['teacher', 'baseline', 'distilled'])
def test_dense_backbone_gets_pretrained_weights(task, kind, pretrained,
                                                tmp_path):
    stage = _stages(task)[kind]
    ckpt = pretrained[(task, demo.pretrain_role(stage))]
    log_file = str(tmp_path / 'init.log')
    model = _build_with_pretrained(stage, ckpt, log_file)
    backbone = model.backbone if kind != 'distilled' else \
        model.student.backbone
    state = torch.load(ckpt, map_location='cpu',
                       weights_only=False)['state_dict']
    own = backbone.state_dict()
    assert own
    for key, value in own.items():
        assert torch.equal(value, state[f'backbone.{key}']), key
    # the comparison means something: a model built without the options
    # differs (a random init)
    torch.manual_seed(1)
    plain = resolve_config(
        osp.join(demo.REPO, stage.config),
        ['model.teacher_ckpt=None', 'model.untrained_teacher=True']
        if kind == 'distilled' else [])
    fresh = MODELS.build(plain.model)
    fresh.init_weights()
    fresh = (fresh.student if kind == 'distilled' else fresh).backbone
    convs = [k for k, v in own.items() if v.ndim == 4]
    assert convs and all(not torch.equal(fresh.state_dict()[k], own[k])
                         for k in convs)
    # the load shows in the log, with no key missed or skipped
    with open(log_file) as f:
        demo.check_pretrained_load(f.read(), ckpt)


def test_a_backbone_of_other_widths_is_refused(pretrained, tmp_path):
    """The student's backbone with the teacher's pretraining: MMEngine
    skips every tensor of another shape with a warning only; the demo's
    check of the log refuses it."""
    stage = _stages('det')['baseline']
    ckpt = pretrained[('det', 'teacher')]
    log_file = str(tmp_path / 'init.log')
    _build_with_pretrained(stage, ckpt, log_file)
    with open(log_file) as f:
        log = f.read()
    assert 'size mismatch' in log
    with pytest.raises(RuntimeError, match='does not fit'):
        demo.check_pretrained_load(log, ckpt)
    with pytest.raises(RuntimeError, match='did not load'):
        demo.check_pretrained_load('', ckpt)

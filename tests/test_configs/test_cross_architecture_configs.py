"""The shipped configs of pairs of different architectures (ImageNet, and
the COCO RetinaNet pair): each teacher URL is the model-zoo checkpoint
that the installed package's metafile gives for the teacher's config, and
a state dict made from that same teacher config (what the URL holds;
nothing is downloaded) loads strictly into the built distiller, whose
recorders find their modules. mmdet 3.3.0 publishes no checkpoint of the
RetinaNet Swin-T config: that pair's ``teacher_ckpt`` is None (building
asks for one), as long as the metafiles have none. One training step of
each config (at its real size, or the smaller one of its ``SMALL_INPUT``
entry) is in ``test_method_configs.py``."""
import importlib
import os.path as osp
from typing import Dict

import pytest
import torch
import yaml
from mmengine.config import Config

from mmfeatdistill.registry import MODELS
from tests.helpers import config_path, save_model_checkpoint

#: config -> its teacher's config (``package::path``)
PAIRS = {
    'nd/nd-kdpp_deit-small_resnet18_in1k.py':
    'mmpretrain::deit/deit-small_4xb256_in1k.py',
    'pefd/pefd_deit-small_resnet18_in1k.py':
    'mmpretrain::deit/deit-small_4xb256_in1k.py',
    'pefd/pefd_swin-tiny_resnet50_in1k.py':
    'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
    'kd/kd_swin-tiny_resnet50_in1k.py':
    'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
    'ofd/ofd_convnext-tiny_resnet18_in1k.py':
    'mmpretrain::convnext/convnext-tiny_32xb128_in1k.py',
    'pefd/pefd_retinanet_swin-tiny_r18_fpn_1x_coco.py':
    'mmdet::swin/retinanet_swin-t-p4-w7_fpn_1x_coco.py',
}


def _model_zoo(package: str) -> Dict[str, set]:
    """``package::config`` (relative to its ``configs/``) -> the URLs of
    its model-zoo checkpoints, from the installed package's metafiles."""
    module = importlib.import_module(package)
    root = osp.join(osp.dirname(module.__file__), '.mim')
    with open(osp.join(root, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    zoo: Dict[str, set] = {}
    for path in imports:
        with open(osp.join(root, path)) as f:
            for model in yaml.safe_load(f).get('Models') or []:
                if model.get('Weights') and model.get('Config'):
                    config = model['Config'][len('configs/'):]
                    urls = model['Weights']  # a list in a few of mmdet's
                    zoo.setdefault(f'{package}::{config}', set()).update(
                        urls if isinstance(urls, list) else [urls])
    return zoo


@pytest.fixture(scope='module')
def zoo() -> Dict[str, set]:
    packages = {teacher.split('::')[0] for teacher in PAIRS.values()}
    return {k: v for p in sorted(packages) for k, v in _model_zoo(p).items()}


@pytest.mark.parametrize('path', sorted(PAIRS))
def test_teacher_is_the_model_zoo_checkpoint_of_its_config(path, zoo):
    cfg = Config.fromfile(config_path(path))
    teacher_config = PAIRS[path]
    assert cfg.model.teacher.cfg_path == teacher_config
    if cfg.model.teacher_ckpt is None:
        # no model-zoo checkpoint of the teacher's config: the user's own
        assert teacher_config not in zoo, path
        with pytest.raises(ValueError, match='has no teacher_ckpt'):
            MODELS.build(cfg.model)
    else:
        assert cfg.model.teacher_ckpt in zoo[teacher_config], path


@pytest.mark.parametrize('path', sorted(PAIRS))
def test_teacher_loads_strictly(path, tmp_path):
    cfg = Config.fromfile(config_path(path))
    ckpt = str(tmp_path / 'teacher.pth')
    saved = save_model_checkpoint(cfg.model.teacher, ckpt)
    model = MODELS.build(dict(cfg.model, teacher_ckpt=ckpt))
    loaded = model.teacher.state_dict()
    assert sorted(loaded) == sorted(saved.state_dict())
    assert all(
        torch.equal(loaded[k], v) for k, v in saved.state_dict().items())


def test_convnext_teacher_of_ofd_has_no_bn(tmp_path):
    """Why the ConvNeXt-T teacher's margins are running estimates
    (``teacher_bns=None``): the teacher has no BN at all."""
    cfg = Config.fromfile(
        config_path('ofd/ofd_convnext-tiny_resnet18_in1k.py'))
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.model.teacher, ckpt)
    model = MODELS.build(dict(cfg.model, teacher_ckpt=ckpt))
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in model.teacher.modules())
    for k, width in enumerate((96, 192, 384, 768), start=1):
        connector = model.connectors[f't_stage{k}']
        assert connector.bn is None and connector.channels == width

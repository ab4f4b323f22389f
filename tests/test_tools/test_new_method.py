"""A method from outside the package: a loss, a connector and a preset in
this test module (registered in our registries, as a user's project would),
trained through the experiment table on generated data, with no change to
``mmfeatdistill/``."""
import os.path as osp
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmfeatdistill.models.connectors import BaseConnector
from mmfeatdistill.models.losses import BaseDistillLoss
from mmfeatdistill.presets import Method, position
from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS, Stage
from tests.helpers import CONFIGS, make_fake_fashion_mnist


@MODELS.register_module(force=True)
class ToyPoolConnector(BaseConnector):
    """Global-average-pool a map and project it linearly."""

    def __init__(self, in_channels: int, out_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.fc = nn.Linear(in_channels, out_channels)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        return self.fc(feature.mean(dim=(2, 3)))


@MODELS.register_module(force=True)
class ToyCosineLoss(BaseDistillLoss):
    """``loss_weight * (1 - mean cos(s, pool(t)))``: the student's pooled
    (B, C) feature against the teacher's (B, C, H, W) map, pooled here."""

    def forward(self, s_feature: torch.Tensor,
                t_feature: torch.Tensor) -> torch.Tensor:
        t = t_feature.detach().mean(dim=(2, 3))
        return self.loss_weight * (
            1 - F.cosine_similarity(s_feature, t, dim=1).mean())


def toy(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
        student_channels: int, teacher_channels: int,
        weight: float = 1.0) -> Method:
    """The toy method's preset: pooled last-stage features, cosine."""
    feat = position('backbone.layer4')
    model = dict(
        type='FeatureDistiller', teacher=teacher, student=student,
        teacher_ckpt=teacher_ckpt, teacher_norm_eval=True,
        student_recorders=dict(feat=feat), teacher_recorders=dict(feat=feat),
        connectors=dict(
            pool=dict(type='ToyPoolConnector', in_channels=student_channels,
                      out_channels=teacher_channels)),
        distill_losses=dict(
            loss_toy=dict(type='ToyCosineLoss', loss_weight=weight)),
        loss_forward_mappings=dict(loss_toy=dict(
            s_feature=dict(from_student=True, recorder='feat',
                           connector='pool'), t_feature=dict(
                               from_student=False, recorder='feat'))))
    return Method(model, [])


PAIR_BASE = osp.join(CONFIGS, '_base_', 'fmnist_distill_pair.py')
CONFIG = f'''_base_ = [{PAIR_BASE!r}]
custom_imports = dict(imports=['{__name__}'], allow_failed_imports=False)
from {__name__} import toy

model, custom_hooks = toy(**_base_.pair, student_channels=64,
                          teacher_channels=256)
'''


def test_a_new_method_trains_through_the_experiment_table(tmp_path):
    config = tmp_path / 'toy_resnet18-w32_resnet18-w8_fmnist.py'
    config.write_text(CONFIG)
    experiment = EXPERIMENTS['cls'].with_stages(Stage('toy', str(config)))
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 40, 20)
    results = demo.main([
        '--work-dir',
        str(tmp_path / 'demo'), '--data-root', data_root, '--epochs', '1',
        '--teacher-epochs', '1', '--train-subset', '0',
        '--teacher-train-subset', '0', '--batch-size', '40', '--workers', '0',
        '--log-interval', '1', '--quiet', '--only', 'toy'
    ], experiment=experiment)
    assert [r['name']
            for r in results] == ['teacher', 'student (baseline)', 'toy']
    toy_run = results[-1]
    logged = [x['loss_toy'] for x in toy_run['records'] if 'loss_toy' in x]
    assert logged and 0 <= logged[0] <= 2
    assert 0 <= toy_run['metrics']['accuracy/top1'] <= 100
    assert '| toy |' in open(tmp_path / 'demo' / 'results.md').read()

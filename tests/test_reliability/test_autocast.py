"""Every method's losses under torch.autocast (bf16 on CPU) are finite and
close to float32."""

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.models import losses as L
from mmfeatdistill.registry import MODELS
from tests.helpers import cls_batch, config_path, save_distill_teacher

g = torch.Generator().manual_seed(0)
S, T = torch.randn(4, 8, 3, 3,
                   generator=g), torch.randn(4, 8, 3, 3, generator=g)
V, W = torch.randn(4, 16, generator=g), torch.randn(4, 16, generator=g)
Y = torch.tensor([0, 1, 2, 1])
CASES = {
    'ofd': (L.OFDLoss(), (S, T)),
    'mse': (L.FeatureMSELoss(), (S, T)),
    'kd': (L.KDLoss(tau=4.0), (V, W)),
    'direction': (L.DirectionAlignmentLoss(25.0), (V, W)),
    'nd': (L.NDLoss(class_means=torch.randn(3, 16, generator=g)), (V, W, Y)),
    'orthogonal': (L.OrthogonalLoss(0.03), (torch.randn(6, 16,
                                                        generator=g), )),
    'frobenius': (L.FrobeniusDistanceLoss(0.05), (V, W)),
    'soft_ce': (L.SoftCrossEntropyLoss(temperature=3.0), (V, W)),
    'label_ce': (L.LabelCrossEntropyLoss(), (V, Y)),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_loss_under_bf16_autocast(name):
    loss, args = CASES[name]
    ref = loss(*args)
    low = [a.bfloat16() if a.is_floating_point() else a for a in args]
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(*low)
    assert out.dtype == torch.float32 and torch.isfinite(out)
    assert torch.allclose(out, ref, rtol=3e-2, atol=1e-3), (out, ref)


@pytest.mark.parametrize('rel', [
    'ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py',
    'tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py',
    'pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py',
    'nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py'
])
def test_distiller_losses_under_bf16_autocast(rel, tmp_path):
    path = config_path(rel)
    cfg = Config.fromfile(path)
    cfg.model.teacher_ckpt = save_distill_teacher(path, cfg, tmp_path)
    if 'loss_nd' in cfg.model.distill_losses:
        cfg.model.distill_losses.loss_nd.class_means = torch.randn(10, 256)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()  # deterministic BN and dropout for the comparison
    data = model.data_preprocessor(cls_batch(8, (1, 28, 28)), True)
    ref = model.loss(data['inputs'], data['data_samples'])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = model.loss(data['inputs'], data['data_samples'])
    for key in cfg.model.distill_losses:
        assert torch.isfinite(out[key]), key
        assert torch.allclose(out[key].float(), ref[key], rtol=0.1,
                              atol=1e-2), (key, out[key], ref[key])

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

from mmfeatdistill.models.connectors import (EmbeddingTransformConnector,
                                             GTLabelConnector,
                                             ProjectorEnsembleConnector)


@pytest.mark.parametrize('act', ['relu', 'gelu', None])
def test_projector_ensemble_equals_loop(act):
    torch.manual_seed(0)
    conn = ProjectorEnsembleConnector(5, 7, num_projectors=3, act=act)
    x = torch.randn(4, 5, requires_grad=True)
    out = conn(x)
    acts = {'relu': F.relu, 'gelu': F.gelu, None: lambda v: v}
    x2 = x.detach().clone().requires_grad_(True)
    total = 0
    for proj in conn.projectors:
        w, b = proj[0].weight, proj[0].bias
        total = total + acts[act](x2 @ w.t() + b)
    expected = total / 3
    assert out.shape == (4, 7)
    assert torch.allclose(out, expected, atol=1e-6)
    g = torch.randn(4, 7)
    (out * g).sum().backward()
    (expected * g).sum().backward()
    assert torch.allclose(x.grad, x2.grad, atol=1e-6)


def test_projector_ensemble_pools_maps_by_option():
    torch.manual_seed(0)
    conn = ProjectorEnsembleConnector(3, 4)
    m = torch.randn(2, 3, 5, 5)
    assert torch.allclose(conn(m), conn(m.mean(dim=(2, 3))))
    # pool_maps=False keeps the map: each position goes through the same
    # projectors as a vector would
    conn.pool_maps = False
    dense = conn(m)
    assert dense.shape == (2, 4, 5, 5)
    per_position = conn(m.permute(0, 2, 3, 1).reshape(-1, 3))
    assert torch.allclose(dense,
                          per_position.reshape(2, 5, 5, 4).permute(0, 3, 1, 2),
                          atol=1e-6)
    with pytest.raises(ValueError, match='act'):
        ProjectorEnsembleConnector(3, 4, act='tanh')


def test_embedding_transform_equals_manual_eval():
    torch.manual_seed(0)
    conn = EmbeddingTransformConnector(6, 9).eval()
    with torch.no_grad():
        conn.bn.running_mean.uniform_(-1, 1)
        conn.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(3, 6)
    bn = conn.bn
    normed = (x - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * \
        bn.weight + bn.bias
    expected = normed @ conn.fc.weight.t() + conn.fc.bias
    assert torch.allclose(conn(x), expected, atol=1e-5)
    assert conn.dropout.p == 0.5


def test_gt_label_connector():
    samples = [DataSample().set_gt_label(3), DataSample().set_gt_label(1)]
    assert GTLabelConnector()(samples).tolist() == [3, 1]
    with pytest.raises(KeyError, match='no .gt_label'):
        GTLabelConnector()([DataSample()])

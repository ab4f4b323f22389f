"""Connectors of the dense variants: position-wise projectors and
embedding transform, resizing, chaining, and the label connectors of
segmentation and detection samples."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

# yapf: disable
from mmfeatdistill.models.connectors import (AnchorLabelsConnector,
                                             EmbeddingTransformConnector,
                                             GTMultiHotConnector,
                                             GTSegMapConnector,
                                             ProjectorEnsembleConnector,
                                             ResizeConnector,
                                             SequentialConnector, TOFDAuxHead)
# yapf: enable
from mmfeatdistill.registry import MODELS


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_projector_ensemble_on_maps_is_per_position_projection():
    torch.manual_seed(0)
    conn = ProjectorEnsembleConnector(4, 6, num_projectors=3, pool_maps=False)
    x = torch.randn(2, 4, 3, 5, generator=_gen())
    out = conn(x)
    assert out.shape == (2, 6, 3, 5)
    for i in range(3):
        for j in range(5):
            vec = torch.stack([
                torch.relu(lin(x[:, :, i, j])) for lin, _ in conn.projectors
            ]).mean(0)
            assert torch.allclose(out[:, :, i, j], vec, atol=1e-6)
    # pooled (classification) path unchanged: projection of the mean
    pooled = ProjectorEnsembleConnector(4, 6)
    pooled.load_state_dict(conn.state_dict())
    assert torch.allclose(pooled(x), pooled(x.mean(dim=(2, 3))))


def test_embedding_transform_per_position_equals_bn2d_and_linear():
    torch.manual_seed(0)
    conn = EmbeddingTransformConnector(3, 5, dropout=0.0, pool_maps=False)
    bn2d = nn.BatchNorm2d(3)
    x = torch.randn(4, 3, 2, 3, generator=_gen(1))
    out = conn.train()(x)
    ref = bn2d.train()(x)
    for i in range(2):
        for j in range(3):
            assert torch.allclose(out[:, :, i, j], conn.fc(ref[:, :, i, j]),
                                  atol=1e-5)
    assert torch.allclose(conn.bn.running_mean, bn2d.running_mean)


def test_resize_and_sequential_connectors():
    x = torch.randn(2, 4, 5, 6, generator=_gen(2))
    up = ResizeConnector(scale_factor=2)
    assert torch.equal(
        up(x),
        F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False))
    assert ResizeConnector(size=(7, 3))(x).shape == (2, 4, 7, 3)
    with pytest.raises(ValueError, match='exactly one of size'):
        ResizeConnector()
    torch.manual_seed(0)
    chain = MODELS.build(
        dict(
            type='SequentialConnector', connectors=[
                dict(type='ProjectorEnsembleConnector', in_channels=4,
                     out_channels=8, pool_maps=False),
                dict(type='ResizeConnector', scale_factor=2)
            ]))
    out = chain(x)
    assert out.shape == (2, 8, 10, 12)
    assert torch.allclose(out, up(chain.parts[0](x)))
    assert sum(p.numel() for p in chain.parameters()) == 3 * (4 * 8 + 8)


def test_sequential_connector_prepares_its_parts():

    class Probe(nn.Module):

        def __init__(self):
            super().__init__()
            self.prepared = self.initialised = False

        def prepare(self, student, teacher, teacher_checkpoint=None):
            self.prepared = teacher_checkpoint

        def init_weights(self):
            self.initialised = True

        def forward(self, x):
            return x + 1

    chain = SequentialConnector([dict(type='ResizeConnector', size=2)])
    chain.parts.append(Probe())
    checkpoint = dict(state_dict={})
    chain.prepare(nn.Identity(), nn.Identity(), teacher_checkpoint=checkpoint)
    chain.init_weights()
    assert chain.parts[1].prepared is checkpoint
    assert chain.parts[1].initialised
    with pytest.raises(ValueError, match='at least one'):
        SequentialConnector([])


def test_label_connectors_of_dense_samples():
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData, PixelData
    from mmseg.structures import SegDataSample
    seg = []
    for v in (1, 2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.full((1, 4, 5), v))
        seg.append(sample)
    maps = GTSegMapConnector()(seg)
    assert maps.shape == (2, 4, 5) and maps.dtype == torch.long
    assert maps[1].unique().tolist() == [2]
    with pytest.raises(KeyError, match="decode_head.loss"):
        GTSegMapConnector()([SegDataSample()])

    det = []
    for labels in ([3, 0, 3], []):
        sample = DetDataSample()
        sample.gt_instances = InstanceData(
            labels=torch.tensor(labels, dtype=torch.long))
        det.append(sample)
    hot = GTMultiHotConnector(num_classes=5)(det)
    assert hot.tolist() == [[1, 0, 0, 1, 0], [0, 0, 0, 0, 0]]
    with pytest.raises(ValueError, match=r'outside \[0, 2\)'):
        GTMultiHotConnector(num_classes=2)(det)

    targets = ([torch.zeros(2, 12), torch.ones(2, 3)], ['weights'])
    assert torch.equal(
        AnchorLabelsConnector(level=1)(targets), torch.ones(2, 3))
    with pytest.raises(IndexError, match='2 levels'):
        AnchorLabelsConnector(level=2)(targets)


def test_dense_tofd_head_classifies_every_position():
    torch.manual_seed(0)
    stages = [
        nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)),
        nn.Sequential(nn.Conv2d(4, 8, 1), nn.BatchNorm2d(8))
    ]
    model = nn.Module()
    model.layer1, model.layer2 = stages
    head = TOFDAuxHead(['layer1', 'layer2'], 0, num_classes=5, side='student',
                       link_to='layer2', dense=True)
    head.prepare(model, model)
    x = torch.randn(2, 4, 8, 8, generator=_gen(3))
    feat, logits, linked = head(x)
    assert feat.shape == (2, 8, 4, 4) and logits.shape == (2, 5, 4, 4)
    assert linked.shape == (2, 8, 4, 4)
    for i, j in ((0, 0), (3, 1)):
        assert torch.allclose(logits[:, :, i, j], head.fc(feat[:, :, i, j]),
                              atol=1e-5)
        assert torch.allclose(linked[:, :, i, j], head.link(feat[:, :, i, j]),
                              atol=1e-5)
    # the classification head pools the same blocks' output
    head.dense = False
    pooled, cls_logits, _ = head(x)
    assert torch.allclose(pooled, feat.mean(dim=(2, 3)), atol=1e-6)


def test_anchor_tofd_head_classifies_every_anchor_on_the_levels_grid():
    """``num_anchors``: stride-1 blocks (the stage's map is the detection
    level's grid), A * (K + 1) logits a position in SSDHead's layout, the
    classifier and the link the same linear maps at every position."""
    torch.manual_seed(0)
    head = TOFDAuxHead(['a', 'b', 'c'], 0, num_classes=5, link_to='t',
                       stage_channels=[4, 8, 16], link_channels=32,
                       num_anchors=[2, 3, 3])
    x = torch.randn(2, 4, 6, 6, generator=_gen(4))
    feat, logits, linked = head(x)
    # 2 blocks (stage 1 of 3): 4 -> 8 -> 16 channels, still 6x6
    assert feat.shape == (2, 16, 6, 6) and len(head.blocks) == 2
    assert logits.shape == (2, 2 * 6, 6, 6) and linked.shape == (2, 32, 6, 6)
    for i, j in ((0, 0), (5, 2)):
        assert torch.allclose(logits[:, :, i, j], head.fc(feat[:, :, i, j]),
                              atol=1e-5)
        assert torch.allclose(linked[:, :, i, j], head.link(feat[:, :, i, j]),
                              atol=1e-5)
    last = TOFDAuxHead(['a', 'b', 'c'], 2, num_classes=5,
                       stage_channels=[4, 8, 16], num_anchors=[2, 3, 3])
    feat, logits = last(torch.randn(1, 16, 2, 2, generator=_gen(5)))
    assert feat.shape == (1, 16, 2, 2) and logits.shape == (1, 18, 2, 2)
    with pytest.raises(ValueError, match='one positive int per stage'):
        TOFDAuxHead(['a', 'b'], 0, num_classes=5, num_anchors=[2])


def test_tofd_head_width_of_an_activation_in_a_sequential():
    """VGG's ReLU after conv4_3 (SSD's feature position) has no weights:
    its width is that of the conv before it."""
    model = nn.Module()
    model.features = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(),
                                   nn.Conv2d(6, 10, 3), nn.ReLU())
    head = TOFDAuxHead(['features.1', 'features.3'], 0, num_classes=2)
    head.prepare(model, model)
    assert head.blocks[0][0].in_channels == 6
    assert head.feature_dim == 10
    with pytest.raises(ValueError, match='nor does a layer before it'):
        bad = nn.Module()
        bad.features = nn.Sequential(nn.ReLU(), nn.ReLU())
        TOFDAuxHead(['features.1'], 0, num_classes=2).prepare(bad, bad)


def test_tofd_head_built_at_construction_when_widths_are_given():
    """Given widths, the layers (and the state dict) exist right after
    construction, and prepare() checks them against the model."""
    model = nn.Module()
    model.features = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(),
                                   nn.Conv2d(6, 10, 3), nn.ReLU())
    stages = ['features.1', 'features.3']
    head = TOFDAuxHead(stages, 0, num_classes=2, link_to='features.3',
                       stage_channels=[6, 10], link_channels=10)
    lazy = TOFDAuxHead(stages, 0, num_classes=2, link_to='features.3')
    assert lazy.blocks is None and not lazy.state_dict()
    lazy.prepare(model, model)
    assert {
        k: v.shape
        for k, v in head.state_dict().items()
    } == {
        k: v.shape
        for k, v in lazy.state_dict().items()
    }
    head.prepare(model, model)  # widths agree: nothing changes
    wrong = TOFDAuxHead(stages, 0, num_classes=2, stage_channels=[6, 12])
    with pytest.raises(ValueError, match=r'widths \[6, 10\]'):
        wrong.prepare(model, model)


def test_tofd_teacher_head_from_another_config_is_refused():
    """A heads checkpoint trained for other classes names the mismatch and
    the step that writes the right one."""
    model = nn.Module()
    model.features = nn.Sequential(nn.Conv2d(3, 6, 3), nn.ReLU(),
                                   nn.Conv2d(6, 10, 3), nn.ReLU())
    stages = ['features.1', 'features.3']
    trained = TOFDAuxHead(stages, 0, num_classes=5, stage_channels=[6, 10])
    checkpoint = dict(tofd_teacher_heads=dict(stage1=trained.state_dict()))
    head = TOFDAuxHead(stages, 0, num_classes=2, side='teacher',
                       from_teacher_ckpt=True)
    with pytest.raises(RuntimeError,
                       match='5 classes, this one 2.*train_tofd_teacher'):
        head.prepare(model, model, teacher_checkpoint=checkpoint)
    fits = TOFDAuxHead(stages, 0, num_classes=5, side='teacher',
                       from_teacher_ckpt=True)
    fits.prepare(model, model, teacher_checkpoint=checkpoint)
    assert torch.equal(fits.fc.weight, trained.fc.weight)
    assert not fits.training and not fits.fc.weight.requires_grad

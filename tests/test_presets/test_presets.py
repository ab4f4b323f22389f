"""The config presets return consistent model blocks, and configs that call
them load, dump and reload like any other config."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmfeatdistill.presets import (nd_kdpp_distiller, nd_kdpp_hooks,
                                   ofd_distiller, pefd_distiller,
                                   resnet_block_bns, resnet_preact_positions,
                                   tofd_distiller, tofd_temperature_hook)
from tests.helpers import config_path

PAIR = dict(teacher=dict(type='T'), student=dict(type='S'),
            teacher_ckpt='teacher.pth')


def _recorder(source: str) -> dict:
    return dict(type='ModuleOutputRecorder', source=source)


def _ofd(**kwargs) -> dict:
    args = dict(
        student_positions=[_recorder('s.a'), _recorder('s.b'),
                           _recorder('s.c')],
        teacher_positions=[_recorder('t.a'), _recorder('t.b'),
                           _recorder('t.c')],
        student_channels=[8, 16, 32], teacher_channels=[16, 32, 64],
        teacher_bns=['t.bn_a', None, 't.bn_c'], alpha=1e-3)
    args.update(kwargs)
    return ofd_distiller(**PAIR, **args)


def _nd(student_dim: int) -> dict:
    return nd_kdpp_distiller(**PAIR, student_dim=student_dim, teacher_dim=64,
                             class_means='means.pth', kd_tau=4.0,
                             kd_weight=1.0, nd_weight=2.0)


def _tofd(**kwargs) -> dict:
    return tofd_distiller(**PAIR, student_stages=['s.l1', 's.l2'],
                          teacher_stages=['t.l1', 't.l2'], num_classes=10,
                          **kwargs)


ALL_PRESETS = {
    'ofd': _ofd,
    'tofd': _tofd,
    'pefd': lambda: pefd_distiller(**PAIR, student_dim=32, teacher_dim=64),
    'nd_transform': lambda: _nd(32),
    'nd_same_width': lambda: _nd(64),
    'nd_dense': lambda: nd_kdpp_distiller(
        **PAIR, student_dim=32, teacher_dim=64, class_means='means.pth',
        kd_tau=1.0, kd_weight=1.0, nd_weight=1.0, dense=True),
}


@pytest.mark.parametrize('name', sorted(ALL_PRESETS))
def test_mappings_reference_existing_parts(name):
    """Every mapping names a defined loss, recorder and connector."""
    model = ALL_PRESETS[name]()
    assert model['type'] == 'FeatureDistiller'
    assert model['teacher'] == PAIR['teacher']
    assert model['student'] == PAIR['student']
    assert model['teacher_ckpt'] == 'teacher.pth'
    assert set(model['loss_forward_mappings']) == set(model['distill_losses'])
    used_connectors = set()
    for loss_name, mapping in model['loss_forward_mappings'].items():
        for arg, spec in mapping.items():
            if 'recorder' in spec:
                side = ('student_recorders' if spec['from_student'] else
                        'teacher_recorders')
                assert spec['recorder'] in model[side], (loss_name, arg)
            if 'connector' in spec:
                assert spec['connector'] in model['connectors'], (loss_name,
                                                                  arg)
                used_connectors.add(spec['connector'])
    # no connector is defined and never used (it would get no gradient)
    assert used_connectors == set(model['connectors'])


def test_ofd_default_layer_weights_and_names():
    model = _ofd()
    weights = {k: v['loss_weight'] for k, v in model['distill_losses'].items()}
    # OFD: 1 / 2 ** (N - 1 - i), deepest position weighted 1, times alpha
    assert weights == pytest.approx({'loss_ofd_stage1': 0.25e-3,
                                     'loss_ofd_stage2': 0.5e-3,
                                     'loss_ofd_stage3': 1e-3})
    assert list(model['student_recorders']) == ['stage1', 'stage2', 'stage3']
    assert model['student_recorders']['stage2'] == _recorder('s.b')
    assert model['teacher_recorders']['stage3'] == _recorder('t.c')
    assert model['connectors']['s_stage1'] == dict(
        type='OFDStudentConnector', in_channels=8, out_channels=16)
    assert model['connectors']['t_stage2'] == dict(
        type='OFDTeacherConnector', channels=32, bn=None)
    assert model['connectors']['t_stage3']['bn'] == 't.bn_c'
    assert model['teacher_norm_eval'] is False


def test_ofd_custom_weights_and_names():
    model = _ofd(layer_weights=[1, 1, 2], position_names=['a', 'b', 'c'])
    assert model['distill_losses']['loss_ofd_c']['loss_weight'] == 2e-3
    assert model['loss_forward_mappings']['loss_ofd_a']['s_feature'] == dict(
        from_student=True, recorder='a', connector='s_a')


def test_ofd_length_mismatch_names_the_lists():
    with pytest.raises(ValueError) as err:
        _ofd(teacher_channels=[16, 32])
    message = str(err.value)
    assert 'ofd_distiller' in message
    assert 'teacher_channels: 2' in message
    assert 'student_channels: 3' in message
    with pytest.raises(ValueError, match='layer_weights: 2'):
        _ofd(layer_weights=[1, 1])


def test_resnet_positions_and_bns():
    """BasicBlock pre-ReLU = relu's input at call 1, Bottleneck at call 2;
    the margin BN is the block's last one."""
    assert resnet_preact_positions([(1, 1), (3, 5)]) == [
        dict(type='ModuleInputRecorder', source='backbone.layer1.1.relu',
             call_index=1),
        dict(type='ModuleInputRecorder', source='backbone.layer3.5.relu',
             call_index=1)]
    assert resnet_preact_positions([(4, 2)], bottleneck=True,
                                   prefix='net') == [
        dict(type='ModuleInputRecorder', source='net.layer4.2.relu',
             call_index=2)]
    assert resnet_block_bns([(2, 3)]) == ['backbone.layer2.3.bn2']
    assert resnet_block_bns([(2, 3)], bottleneck=True) == [
        'backbone.layer2.3.bn3']


def test_tofd_heads_losses_and_temperature_hook():
    model = _tofd()
    assert sorted(model['distill_losses']) == sorted(
        f'loss_tofd_{kind}{k}' for kind in ('feat', 'ce', 'kd', 'orth')
        for k in (1, 2))
    assert model['distill_losses']['loss_tofd_feat1']['loss_weight'] == 0.05
    assert model['distill_losses']['loss_tofd_orth2']['loss_weight'] == 0.03
    s_head = model['connectors']['s_head2']
    assert s_head['stage_index'] == 1 and s_head['link_to'] == 't.l2'
    assert model['connectors']['t_head1']['from_teacher_ckpt'] is True
    assert 'dense' not in s_head
    hook = tofd_temperature_hook(2)
    assert hook['loss_names'] == ['loss_tofd_kd1', 'loss_tofd_kd2']
    assert set(hook['loss_names']) <= set(model['distill_losses'])
    assert (hook['start'], hook['delta'], hook['by_epoch']) == (1.0, 3.0,
                                                                True)
    with pytest.raises(ValueError, match='teacher_stages: 1'):
        tofd_distiller(**PAIR, student_stages=['a', 'b'],
                       teacher_stages=['c'], num_classes=3)


def test_tofd_dense_and_loss_options():
    model = _tofd(dense=True, ce_loss=dict(ignore_index=255),
                  kd_loss=dict(multi_label=True))
    assert model['connectors']['s_head1']['dense'] is True
    assert model['connectors']['t_head2']['dense'] is True
    assert model['distill_losses']['loss_tofd_ce1']['ignore_index'] == 255
    assert model['distill_losses']['loss_tofd_kd2']['multi_label'] is True


def test_nd_transform_only_when_widths_differ():
    with_transform = _nd(32)
    assert with_transform['connectors']['transform'] == dict(
        type='EmbeddingTransformConnector', in_channels=32, out_channels=64)
    assert with_transform['loss_forward_mappings']['loss_nd']['s_feature'][
        'connector'] == 'transform'
    same = _nd(64)
    assert 'transform' not in same['connectors']
    assert 'connector' not in same['loss_forward_mappings']['loss_nd'][
        's_feature']
    hooks = nd_kdpp_hooks(20)
    assert hooks[0]['loss_names'] == 'loss_nd'
    assert hooks[1]['loss_names'] == ['loss_kd']
    assert hooks[1]['warmup_epochs'] == 20


def test_nd_dense_uses_label_maps_and_per_pixel_parts():
    model = nd_kdpp_distiller(
        **PAIR, student_dim=32, teacher_dim=64, class_means='means.pth',
        kd_tau=1.0, kd_weight=0.5, nd_weight=2.0,
        feature_source='decode_head.sep_bottleneck',
        logits_source='decode_head.conv_seg',
        samples_source='decode_head.loss', dense=True, ignore_index=7)
    assert model['connectors'] == dict(
        labels=dict(type='GTSegMapConnector'),
        transform=dict(type='EmbeddingTransformConnector', in_channels=32,
                       out_channels=64, pool_maps=False))
    assert model['distill_losses']['loss_nd'] == dict(
        type='DenseNDLoss', ignore_index=7, loss_weight=2.0,
        class_means='means.pth')
    assert model['distill_losses']['loss_kd']['loss_weight'] == 0.5
    # the decoder feature is a tensor: no item index, unlike a neck's tuple
    assert model['loss_forward_mappings']['loss_nd']['s_feature'] == dict(
        from_student=True, recorder='feat', connector='transform')
    assert model['loss_forward_mappings']['loss_nd']['t_feature'] == dict(
        from_student=False, recorder='feat')
    assert model['student_recorders']['samples']['source'] == (
        'decode_head.loss')
    assert model['teacher_recorders']['logits']['source'] == (
        'decode_head.conv_seg')
    # classification keeps the neck's first item and the class labels
    cls = _nd(32)
    assert cls['loss_forward_mappings']['loss_nd']['t_feature']['index'] == 0
    assert cls['connectors']['labels'] == dict(type='GTLabelConnector')
    assert cls['distill_losses']['loss_nd']['type'] == 'NDLoss'
    assert 'pool_maps' not in cls['connectors']['transform']


def test_nd_hooks_warmup_by_epochs_or_iterations():
    assert nd_kdpp_hooks(kd_warmup_iters=1000)[1] == dict(
        type='LossWeightWarmupHook', loss_names=['loss_kd'],
        warmup_iters=1000)
    assert 'warmup_iters' not in nd_kdpp_hooks(kd_warmup_epochs=5)[1]
    with pytest.raises(ValueError, match='exactly one of kd_warmup_epochs'):
        nd_kdpp_hooks()
    with pytest.raises(ValueError, match='kd_warmup_iters=10'):
        nd_kdpp_hooks(kd_warmup_epochs=1, kd_warmup_iters=10)


def test_pefd_defaults():
    model = pefd_distiller(**PAIR, student_dim=32, teacher_dim=64)
    assert model['distill_losses']['loss_pefd']['loss_weight'] == 25.0
    assert model['connectors']['projector']['num_projectors'] == 3
    assert model['teacher_norm_eval'] is True


@pytest.mark.parametrize('rel', [
    'pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py',
    'ofd/ofd_deeplabv3plus-r101_mobilenetv2_voc12aug.py',
])
def test_config_with_preset_dumps_and_reloads(rel, tmp_path):
    """The imported function is not left in the config, and the dumped
    config (what a work dir keeps) reloads to the same model block."""
    cfg = Config.fromfile(config_path(rel))
    assert not any(callable(v) for v in cfg.to_dict().values())
    dumped = osp.join(tmp_path, 'dumped.py')
    cfg.dump(dumped)
    assert Config.fromfile(dumped).model.to_dict() == cfg.model.to_dict()

"""The config presets return consistent model blocks with their hooks, and
configs that call them load, dump and reload like any other config."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmfeatdistill.presets import (Method, nd, ofd, pefd, position,
                                   resnet_block_bns, resnet_preact_positions,
                                   tofd)
from tests.helpers import CONFIGS, config_path

PAIR = dict(teacher=dict(type='T'), student=dict(type='S'),
            teacher_ckpt='teacher.pth')


def _ofd(**kwargs) -> Method:
    args = dict(
        student_positions=[position('s.a'),
                           position('s.b'),
                           position('s.c')],
        teacher_positions=[position('t.a'),
                           position('t.b'),
                           position('t.c')], student_channels=[8, 16, 32],
        teacher_channels=[16, 32, 64], teacher_bns=['t.bn_a', None,
                                                    't.bn_c'], alpha=1e-3)
    args.update(kwargs)
    return ofd(**PAIR, **args)


def _nd(student_channels: int, **kwargs) -> Method:
    kwargs.setdefault('kd', dict(tau=4.0, weight=1.0, warmup=20))
    return nd(**PAIR, student_channels=student_channels, teacher_channels=64,
              nd_weight=2.0, **kwargs)


def _tofd(**kwargs) -> Method:
    return tofd(**PAIR, student_stages=['s.l1', 's.l2'],
                teacher_stages=['t.l1', 't.l2'], num_classes=10, **kwargs)


ALL_PRESETS = {
    'ofd':
    _ofd,
    'ofd_warmup':
    lambda: _ofd(connector_warmup=dict(warmup_iters=5)),
    'tofd':
    _tofd,
    'tofd_anchor':
    lambda: _tofd(anchors=[6, 4], head_weight=0.5),
    'pefd':
    lambda: pefd(**PAIR, student_channels=32, teacher_channels=64),
    'pefd_maps':
    lambda: pefd(**PAIR, positions=[position('neck', k) for k in range(
        3)], student_channels=[8, 16, 32], teacher_channels=64, dense=True),
    'nd_transform':
    lambda: _nd(32),
    'nd_same_width':
    lambda: _nd(64),
    'nd_pixel':
    lambda: _nd(32, rows='pixel'),
    'nd_anchor':
    lambda: nd(**PAIR, rows='anchor', positions=[
        position('neck', k) for k in range(3)
    ], student_channels=[8, 64, 16], teacher_channels=64),
}


@pytest.mark.parametrize('name', sorted(ALL_PRESETS))
def test_mappings_reference_existing_parts(name):
    """Every mapping and schedule names a defined loss, recorder and
    connector; every connector is used; hooks are configs."""
    method = ALL_PRESETS[name]()
    assert isinstance(method, Method)
    model, hooks = method
    assert model['type'] == 'FeatureDistiller'
    assert model['teacher'] == PAIR['teacher']
    assert model['student'] == PAIR['student']
    assert model['teacher_ckpt'] == 'teacher.pth'
    assert '_delete_' not in model
    assert set(model['loss_forward_mappings']) == set(model['distill_losses'])
    assert set(model.get('schedules', {})) <= set(model['distill_losses'])
    used_connectors = set()
    for loss_name, mapping in model['loss_forward_mappings'].items():
        for arg, spec in mapping.items():
            if 'recorder' in spec:
                side = ('student_recorders'
                        if spec['from_student'] else 'teacher_recorders')
                assert spec['recorder'] in model[side], (loss_name, arg)
            if 'connector' in spec:
                assert spec['connector'] in model['connectors'], (loss_name,
                                                                  arg)
                used_connectors.add(spec['connector'])
    # no connector is defined and never used (it would get no gradient)
    assert used_connectors == set(model['connectors'])
    assert all(isinstance(h, dict) and 'type' in h for h in hooks)


def test_replace_base_and_caller_hooks():
    model, hooks = _ofd(replace_base=True, hooks=[dict(type='X')])
    assert model['_delete_'] is True
    assert hooks == [dict(type='X')]
    _, hooks = _ofd(connector_warmup=dict(warmup_epochs=1, lr_mult=5.0),
                    hooks=[dict(type='X')])
    assert hooks == [
        dict(type='X'),
        dict(type='ConnectorWarmupHook', warmup_epochs=1, lr_mult=5.0)
    ]


def test_ofd_default_layer_weights_and_names():
    model, hooks = _ofd()
    assert hooks == []
    weights = {k: v['loss_weight'] for k, v in model['distill_losses'].items()}
    # OFD: 1 / 2 ** (N - 1 - i), deepest position weighted 1, times alpha
    assert weights == pytest.approx({
        'loss_ofd_stage1': 0.25e-3,
        'loss_ofd_stage2': 0.5e-3,
        'loss_ofd_stage3': 1e-3
    })
    assert list(model['student_recorders']) == ['stage1', 'stage2', 'stage3']
    assert model['student_recorders']['stage2'] == position('s.b')
    assert model['teacher_recorders']['stage3'] == position('t.c')
    assert model['connectors']['s_stage1'] == dict(type='OFDStudentConnector',
                                                   in_channels=8,
                                                   out_channels=16)
    assert model['connectors']['t_stage2'] == dict(type='OFDTeacherConnector',
                                                   channels=32, bn=None)
    assert model['connectors']['t_stage3']['bn'] == 't.bn_c'
    assert model['teacher_norm_eval'] is False


def test_ofd_custom_weights_and_names():
    model, _ = _ofd(layer_weights=[1, 1, 2], position_names=['a', 'b', 'c'])
    assert model['distill_losses']['loss_ofd_c']['loss_weight'] == 2e-3
    assert model['loss_forward_mappings']['loss_ofd_a']['s_feature'] == dict(
        from_student=True, recorder='a', connector='s_a')


def test_ofd_recompute_connectors_opt_in():
    model, _ = _ofd(recompute_connectors=True)
    student = [v for k, v in model['connectors'].items() if k[:2] == 's_']
    assert len(student) == 3 and all(c['recompute'] is True for c in student)
    assert all('recompute' not in v for k, v in model['connectors'].items()
               if k[:2] == 't_')


def test_ofd_length_mismatch_names_the_lists():
    with pytest.raises(ValueError) as err:
        _ofd(teacher_channels=[16, 32])
    message = str(err.value)
    assert 'ofd' in message
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
             call_index=1)
    ]
    assert resnet_preact_positions([(4, 2)], bottleneck=True,
                                   prefix='net') == [
                                       dict(type='ModuleInputRecorder',
                                            source='net.layer4.2.relu',
                                            call_index=2)
                                   ]
    assert resnet_block_bns([(2, 3)]) == ['backbone.layer2.3.bn2']
    assert resnet_block_bns([(2, 3)],
                            bottleneck=True) == ['backbone.layer2.3.bn3']


def test_positions_share_one_recorder_per_source():
    """Several items of one recorded tuple (an SSD neck's levels) read one
    recorder: the tuple is recorded (cloned) once."""
    model, _ = ALL_PRESETS['pefd_maps']()
    assert model['student_recorders'] == {'0': position('neck')}
    assert [
        m['s_feature']['index']
        for m in model['loss_forward_mappings'].values()
    ] == [0, 1, 2]
    assert {
        m['t_feature']['recorder']
        for m in model['loss_forward_mappings'].values()
    } == {'0'}


def test_tofd_heads_losses_and_temperature_schedule():
    model, hooks = _tofd()
    assert hooks == []
    assert sorted(model['distill_losses']) == sorted(f'loss_tofd_{kind}{k}'
                                                     for kind in ('feat', 'ce',
                                                                  'kd', 'orth')
                                                     for k in (1, 2))
    assert model['distill_losses']['loss_tofd_feat1']['loss_weight'] == 0.05
    assert model['distill_losses']['loss_tofd_orth2']['loss_weight'] == 0.03
    s_head = model['connectors']['s_head2']
    assert s_head['stage_index'] == 1 and s_head['link_to'] == 't.l2'
    assert model['connectors']['t_head1']['from_teacher_ckpt'] is True
    assert 'dense' not in s_head and 'stage_channels' not in s_head
    # T rises 1 -> 4 over the run on every head's soft targets
    assert model['schedules'] == {
        f'loss_tofd_kd{k}':
        dict(temperature=dict(type='LinearRamp', start=1.0, end=4.0,
                              by_epoch=True))
        for k in (1, 2)
    }
    with pytest.raises(ValueError, match='teacher_stages: 1'):
        tofd(**PAIR, student_stages=['a', 'b'], teacher_stages=['c'],
             num_classes=3)


def test_tofd_dense_widths_and_loss_options():
    model, _ = _tofd(dense=True, ce_loss=dict(ignore_index=255),
                     kd_loss=dict(multi_label=True), by_epoch=False,
                     student_channels=[4, 8], teacher_channels=[16, 32])
    assert model['connectors']['s_head1']['dense'] is True
    assert model['connectors']['t_head2']['dense'] is True
    assert model['connectors']['s_head1']['stage_channels'] == [4, 8]
    assert model['connectors']['s_head1']['link_channels'] == 32
    assert model['connectors']['t_head1']['stage_channels'] == [16, 32]
    assert model['distill_losses']['loss_tofd_ce1']['ignore_index'] == 255
    assert model['distill_losses']['loss_tofd_kd2']['multi_label'] is True
    assert model['schedules']['loss_tofd_kd1']['temperature'][
        'by_epoch'] is False
    with pytest.raises(ValueError, match='student_channels: 3'):
        _tofd(student_channels=[1, 2, 3])


def test_tofd_anchor_heads_read_the_student_heads_assignment():
    """``anchors``: per-anchor heads, each head's level's labels from the
    student head's recorded get_targets, SSD's classification loss and KD
    over its anchors (no T^2), T scheduled on the KD's ``tau``."""
    model, _ = _tofd(anchors=[6, 4], head_weight=0.5, by_epoch=False)
    assert model['student_recorders']['targets'] == dict(
        type='MethodOutputRecorder', source='bbox_head.get_targets')
    assert 'samples' not in model['student_recorders']
    for k in (1, 2):
        assert model['connectors'][f'labels{k}'] == dict(
            type='AnchorLabelsConnector', level=k - 1)
        for side in 'st':
            assert model['connectors'][f'{side}_head{k}']['num_anchors'] == [
                6, 4
            ]
        labels = dict(from_student=True, recorder='targets',
                      connector=f'labels{k}')
        mapping = model['loss_forward_mappings']
        assert mapping[f'loss_tofd_ce{k}']['labels'] == labels
        assert mapping[f'loss_tofd_kd{k}']['labels'] == labels
        assert mapping[f'loss_tofd_kd{k}']['s_scores']['output_index'] == 1
    assert model['distill_losses']['loss_tofd_ce1'] == dict(
        type='AnchorCrossEntropyLoss', neg_pos_ratio=3, loss_weight=0.5)
    assert model['distill_losses']['loss_tofd_kd2'] == dict(
        type='AnchorKDLoss', tau=1.0, neg_pos_ratio=3, t_square=False,
        loss_weight=0.5)
    assert model['schedules']['loss_tofd_kd1'] == dict(
        tau=dict(type='LinearRamp', start=1.0, end=4.0, by_epoch=False))
    with pytest.raises(ValueError, match='leave labels out'):
        _tofd(anchors=[6, 4], labels=dict(type='GTMultiHotConnector'))
    with pytest.raises(ValueError, match='anchors: 1'):
        _tofd(anchors=[6])


def test_nd_transform_only_when_widths_differ_and_kd_warmup():
    model, hooks = _nd(32)
    assert model['connectors']['transform'] == dict(
        type='EmbeddingTransformConnector', in_channels=32, out_channels=64)
    assert model['loss_forward_mappings']['loss_nd']['s_feature'][
        'connector'] == 'transform'
    assert hooks == [dict(type='ClassMeansHook')]
    assert model['schedules'] == dict(loss_kd=dict(loss_weight=dict(
        type='LinearRamp', start=0.0, length=20, by_epoch=True)))
    same, _ = _nd(64)
    assert 'transform' not in same['connectors']
    assert 'connector' not in same['loss_forward_mappings']['loss_nd'][
        's_feature']
    alone, _ = nd(**PAIR, student_channels=64, teacher_channels=64)
    assert set(alone['distill_losses']) == {'loss_nd'}
    assert 'schedules' not in alone and 'logits' not in alone[
        'student_recorders']
    with pytest.raises(KeyError, match='kd takes tau, weight'):
        _nd(32, kd=dict(tau=1.0))
    with pytest.raises(ValueError, match='rows must be one of'):
        _nd(32, rows='box')
    with pytest.raises(ValueError, match="rows='anchor'\\) needs positions"):
        _nd(32, rows='anchor')


def test_nd_pixel_rows_use_label_maps_and_per_pixel_parts():
    model, _ = nd(**PAIR, student_channels=32, teacher_channels=64,
                  nd_weight=2.0, rows='pixel',
                  kd=dict(tau=1.0, weight=0.5, warmup=1000,
                          by_epoch=False), class_means_dir='means',
                  logits_source='decode_head.conv_seg',
                  samples_source='decode_head.loss', ignore_index=7)
    assert model['connectors'] == dict(
        labels=dict(type='GTSegMapConnector'),
        transform=dict(type='EmbeddingTransformConnector', in_channels=32,
                       out_channels=64, pool_maps=False))
    assert model['distill_losses']['loss_nd'] == dict(
        type='DenseNDLoss', ignore_index=7, loss_weight=2.0,
        class_means=osp.join('means', 'loss_nd.pth'))
    assert model['distill_losses']['loss_kd']['loss_weight'] == 0.5
    # the decoder feature is a tensor: no item index, unlike a neck's tuple
    assert model['loss_forward_mappings']['loss_nd']['s_feature'] == dict(
        from_student=True, recorder='feat', connector='transform')
    assert model['loss_forward_mappings']['loss_nd']['t_feature'] == dict(
        from_student=False, recorder='feat')
    assert model['student_recorders']['feat']['source'] == (
        'decode_head.sep_bottleneck')
    assert model['student_recorders']['samples']['source'] == (
        'decode_head.loss')
    assert model['teacher_recorders']['logits']['source'] == (
        'decode_head.conv_seg')
    assert model['schedules']['loss_kd']['loss_weight']['by_epoch'] is False
    # classification keeps the neck's first item and the class labels
    cls, _ = _nd(32)
    assert cls['loss_forward_mappings']['loss_nd']['t_feature']['index'] == 0
    assert cls['connectors']['labels'] == dict(type='GTLabelConnector')
    assert cls['distill_losses']['loss_nd'] == dict(type='NDLoss',
                                                    loss_weight=2.0)
    assert 'pool_maps' not in cls['connectors']['transform']


def test_nd_anchor_rows_per_level():
    model, hooks = ALL_PRESETS['nd_anchor']()
    assert hooks == [dict(type='ClassMeansHook')]
    assert sorted(
        model['distill_losses']) == ['loss_nd0', 'loss_nd1', 'loss_nd2']
    assert all(loss['type'] == 'AnchorNDLoss'
               and loss['loss_weight'] == pytest.approx(1 / 3)
               for loss in model['distill_losses'].values())
    # transforms only where the widths differ, labels per level
    assert sorted(c for c in model['connectors']
                  if 'transform' in c) == ['transform0', 'transform2']
    assert model['connectors']['labels1'] == dict(type='AnchorLabelsConnector',
                                                  level=1)
    assert model['student_recorders']['targets'] == dict(
        type='MethodOutputRecorder', source='bbox_head.get_targets')
    assert model['loss_forward_mappings']['loss_nd2']['labels'] == dict(
        from_student=True, recorder='targets', connector='labels2')


def test_pefd_defaults_and_maps():
    model, hooks = pefd(**PAIR, student_channels=32, teacher_channels=64)
    assert hooks == []
    assert model['distill_losses']['loss_pefd']['loss_weight'] == 25.0
    assert model['connectors']['projector']['num_projectors'] == 3
    assert model['connectors']['projector']['pool_maps'] is True
    assert model['teacher_norm_eval'] is True
    assert model['loss_forward_mappings']['loss_pefd']['t_feature'] == dict(
        from_student=False, recorder='feat', index=0)
    maps, _ = ALL_PRESETS['pefd_maps']()
    assert sorted(maps['distill_losses']) == [
        'loss_pefd_0', 'loss_pefd_1', 'loss_pefd_2'
    ]
    assert maps['distill_losses']['loss_pefd_1']['loss_weight'] == \
        pytest.approx(25 / 3)
    assert maps['connectors']['projector_2']['in_channels'] == 32
    assert maps['connectors']['projector_2']['pool_maps'] is False


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


PRESET_NAMES = ('loss_ofd_', 'loss_tofd_', 'loss_pefd', 'loss_nd', 's_head',
                't_head', 'loss_kd')


@pytest.mark.parametrize('path',
                         sorted(glob.glob(osp.join(CONFIGS, '*', '*.py'))),
                         ids=lambda p: osp.relpath(p, CONFIGS))
def test_configs_do_not_patch_preset_names(path):
    """No config refers to a name a preset invented (loss, connector or
    hook names): configs call the preset with arguments instead."""
    text = open(path).read()
    if 'mmfeatdistill.presets' not in text:
        return
    code = '\n'.join(line for line in text.splitlines()
                     if not line.lstrip().startswith('#'))
    found = [
        name for name in PRESET_NAMES if re.search(r'(?<![\w])' + name, code)
    ]
    assert not found, f'{osp.relpath(path, CONFIGS)} names {found}'

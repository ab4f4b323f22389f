"""Bad input gives an error that names what is wrong and how to fix it."""
import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.registry import MODELS
from tests.helpers import cls_batch, config_path, save_model_checkpoint

KD_CFG = config_path('kd/kd-mse_resnet18-w32_resnet18-w8_fmnist.py')


def _model_cfg(tmp_path):
    cfg = Config.fromfile(KD_CFG).model
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.teacher, ckpt)
    cfg.teacher_ckpt = ckpt
    return cfg


def test_nan_loss_stops_with_name_and_iteration(tmp_path):
    cfg = _model_cfg(tmp_path)
    cfg.distill_losses.loss_mse_stage4.loss_weight = float('nan')
    model = MODELS.build(cfg)
    data = model.data_preprocessor(cls_batch(4, (1, 28, 28)), True)
    with pytest.raises(
            FloatingPointError, match=r"Loss 'loss_mse_stage4' is \[nan\] at "
            r'iteration'):
        model(data['inputs'], data['data_samples'], mode='loss')
    cfg.check_finite = False  # the switch turns the check off
    out = MODELS.build(cfg)(data['inputs'], data['data_samples'], mode='loss')
    assert torch.isnan(out['loss_mse_stage4'])


def test_missing_required_field(tmp_path):
    cfg = _model_cfg(tmp_path)
    cfg.pop('teacher')
    with pytest.raises(
            TypeError, match="missing 1 required positional "
            "argument: 'teacher'"):
        MODELS.build(cfg)


def test_shape_mismatch_names_loss_recorders_and_shapes(tmp_path):
    cfg = _model_cfg(tmp_path)
    cfg.loss_forward_mappings.loss_mse_stage4.s_feature.pop('connector')
    model = MODELS.build(cfg)
    data = model.data_preprocessor(cls_batch(2, (1, 28, 28)), True)
    with pytest.raises(
            ValueError, match=r"Loss 'loss_mse_stage4' .*"
            r"\(2, 64, 4, 4\) from student recorder 'stage4' and "
            r"\(2, 256, 4, 4\) from teacher recorder 'stage4'"):
        model(data['inputs'], data['data_samples'], mode='loss')


def test_unknown_recorder_path_lists_close_matches(tmp_path):
    cfg = _model_cfg(tmp_path)
    cfg.student_recorders.stage4.source = 'backbone.layr4'
    with pytest.raises(KeyError, match=r"backbone\.layr4.*backbone\.layer4"):
        MODELS.build(cfg)


def test_teacher_checkpoint_with_wrong_keys_is_refused(tmp_path):
    cfg = _model_cfg(tmp_path)
    state = torch.load(cfg.teacher_ckpt, weights_only=False)
    state['state_dict'].pop('backbone.conv1.weight')
    state['state_dict']['extra.weight'] = torch.zeros(1)
    torch.save(state, cfg.teacher_ckpt)
    with pytest.raises(
            KeyError, match=r'missing.*backbone\.conv1\.weight'
            r'.*unexpected.*extra\.weight'):
        MODELS.build(cfg)

"""Records without copies (``clone=False`` / ``'auto'``): losses and
gradients unchanged where nothing changes the recorded tensors in place;
refused (False) or kept as copies ('auto') where something does (the input
of mmpretrain's in-place ReLU, OFD's pre-ReLU positions)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.models.recorders import RecorderManager
from mmfeatdistill.registry import MODELS
from mmfeatdistill.testing import cls_batch, save_trained_like_teacher

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _distiller(tmp_path, config):
    cfg = Config.fromfile(osp.join(REPO, 'configs', config))
    ckpt = str(tmp_path / 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    cfg.model.teacher_ckpt = ckpt
    cfg.model.release_records = False  # records are inspected after loss()
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model


def _recorders(model):
    return [
        *model.student_recorders.recorders.values(),
        *model.teacher_recorders.recorders.values()
    ]


def _losses_and_grads(model, data):
    """Distillation losses and the gradients of their sum (student and
    connectors), one forward."""
    model.zero_grad()
    batch = model.data_preprocessor(data, True)
    losses = model.loss(batch['inputs'], batch['data_samples'])
    distill = {
        k: v.detach().clone()
        for k, v in losses.items() if k in model.distill_losses
    }
    total = sum(v for k, v in losses.items()
                if 'loss' in k and isinstance(v, torch.Tensor))
    total.backward()
    grads = {
        n: p.grad.clone()
        for n, p in model.named_parameters() if p.grad is not None
    }
    return distill, grads


def _assert_same(a, b):
    assert a[0].keys() == b[0].keys() and a[1].keys() == b[1].keys()
    for name in a[0]:
        torch.testing.assert_close(a[0][name], b[0][name], rtol=1e-6, atol=0)
    for name in a[1]:
        torch.testing.assert_close(a[1][name], b[1][name], rtol=1e-6,
                                   atol=1e-9)


def test_no_copy_of_stage_outputs_keeps_losses_and_grads(tmp_path):
    """FitNet on the demo's pair records the stage-4 outputs, which nothing
    changes in place: False and 'auto' give the copies' losses and
    gradients, and 'auto' stops copying after its first forward."""
    model = _distiller(tmp_path,
                       'fitnet/fitnet_resnet18-w32_resnet18-w8_fmnist.py')
    data = cls_batch(4, (1, 28, 28), num_classes=10)
    reference = _losses_and_grads(model, data)
    for mode in (False, 'auto'):
        for recorder in _recorders(model):
            recorder.set_clone(mode)
        for step in range(2):
            result = _losses_and_grads(model, data)
            _assert_same(result, reference)
            for recorder in _recorders(model):
                # a shared record is the model's own tensor
                assert recorder._shared is (mode is False or step == 1)
        assert all(not r.copies for r in _recorders(model))


def test_in_place_relu_input_is_refused_or_copied(tmp_path):
    """OFD reads the input of the blocks' in-place ReLU: without a copy the
    read is refused; 'auto' sees it changed and keeps copying, with the
    copies' losses and gradients."""
    model = _distiller(tmp_path, 'ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py')
    data = cls_batch(4, (1, 28, 28), num_classes=10)
    reference = _losses_and_grads(model, data)
    for recorder in _recorders(model):
        recorder.set_clone('auto')
    for _ in range(2):
        _assert_same(_losses_and_grads(model, data), reference)
    assert all(r.copies for r in _recorders(model))
    for recorder in model.student_recorders.recorders.values():
        recorder.set_clone(False)
    with pytest.raises(RuntimeError, match='changed in place'):
        _losses_and_grads(model, data)


def test_clone_option_from_config_and_checks():
    """Every recorder type takes ``clone`` in its config; bad values are
    refused; the read of a record changed in place raises."""
    manager = RecorderManager(
        dict(
            out=dict(type='ModuleOutputRecorder', source='0', clone=False),
            inp=dict(type='ModuleInputRecorder', source='1', clone='auto'),
            method=dict(type='MethodOutputRecorder', source='0.forward',
                        clone=False)))
    assert manager.recorders['out'].clone is False
    assert manager.recorders['inp'].clone == 'auto'
    assert manager.recorders['inp'].arg_index == 0
    with pytest.raises(ValueError, match='clone must be'):
        RecorderManager(
            dict(x=dict(type='ModuleOutputRecorder', source='0', clone='yes')))
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Identity())
    manager.prepare(model)
    with manager:
        out = model(torch.randn(2, 3))
    assert manager.get('out') is not None
    with torch.no_grad():
        out.add_(1)  # the Identity passes the Linear's output on
    with pytest.raises(RuntimeError, match='changed in place'):
        manager.get('out')

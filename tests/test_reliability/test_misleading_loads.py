"""Loads that used to report success while loading nothing useful (issue
32, items 4 and 5): a plain checkpoint of another width given as
``load_from``, and ``tools/test.py`` with a distiller checkpoint or a
distillation config, which evaluated a randomly initialised model or could
not run without the teacher's file."""
import logging
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint

from mmfeatdistill.registry import HOOKS, MODELS
from mmfeatdistill.tools import test as test_tool
from mmfeatdistill.utils import resolve_model_cfg, unwrap_model
from tests.helpers import (config_path, make_fake_fashion_mnist,
                           save_model_checkpoint, state_dict_copy)

KD_CFG = config_path('kd/kd_resnet18-w32_resnet18-w8_fmnist.py')
STUDENT_CFG = config_path('fashion_mnist/student_resnet18-w8_fmnist.py')
TOFD_CFG = config_path('tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py')


class _Logged(logging.Handler):
    """Collects what MMEngine's current logger prints."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def __enter__(self) -> '_Logged':
        MMLogger.get_current_instance().addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        MMLogger.get_current_instance().removeHandler(self)


def _distiller(tmp_path):
    """The KD distiller of the demo's pair; returns it and the path of its
    (plain, wider) teacher checkpoint."""
    cfg = Config.fromfile(KD_CFG).model
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(cfg.teacher, ckpt)
    cfg.teacher_ckpt = ckpt
    return MODELS.build(cfg), ckpt


def test_load_from_the_wider_teachers_plain_checkpoint_is_an_error(tmp_path):
    """Names match, shapes do not: it used to log "122 of 122 tensors are
    student weights", skip 120 of them and train from scratch."""
    model, teacher_ckpt = _distiller(tmp_path)
    before = state_dict_copy(model.student)
    with pytest.raises(
            ValueError, match=r'plain model whose tensor names match the '
            r"student's but whose shapes do not: only \d+ of the 122 "
            r'name-matched tensors .*first mismatches: '
            r'backbone\.conv1\.weight: checkpoint \(32, 1, 3, 3\), student '
            r'\(8, 1, 3, 3\).*tools/export_student\.py'):
        load_checkpoint(model, teacher_ckpt, strict=False)
    after = model.student.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_load_from_a_student_of_other_classes_counts_what_fits(tmp_path):
    """A student checkpoint whose head has other classes still loads (the
    backbone is the point of it); the log counts name-and-shape matches."""
    model, _ = _distiller(tmp_path)
    state = state_dict_copy(model.student)
    state['head.fc.weight'] = torch.zeros(20, 64)
    state['head.fc.bias'] = torch.zeros(20)
    path = str(tmp_path / 'student_20_classes.pth')
    torch.save(dict(state_dict=state, meta={}), path)
    with _Logged() as logged:
        load_checkpoint(model, path, strict=False)
    assert any(
        "120 of its 122 tensors match the student's weights in name and "
        'shape; the 2 of other shapes are skipped' in m
        for m in logged.messages), logged.messages


@HOOKS.register_module(force=True)
class EvaluatedWeightsHook(Hook):
    """Keeps a copy of the weights the test loop evaluates."""

    seen: dict = {}

    def before_test_epoch(self, runner) -> None:
        EvaluatedWeightsHook.seen = state_dict_copy(unwrap_model(runner.model))


def _test_config(tmp_path, base: str) -> str:
    """A config inheriting ``base`` whose test loop records the evaluated
    weights."""
    path = str(tmp_path / f'tested_{osp.basename(base)}')
    with open(path, 'w') as f:
        f.write(f'_base_ = [{base!r}]\n'
                f"custom_hooks = [dict(type='EvaluatedWeightsHook')]\n"
                f"visualizer = dict(name='visualizer:{tmp_path}')\n")
    return path


def _known_student(model_cfg, tmp_path) -> dict:
    """Weights of the student that no initialisation gives."""
    model = save_model_checkpoint(model_cfg, str(tmp_path / 'student.pth'),
                                  seed=7)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.25)
    return state_dict_copy(model)


def _save_distiller_checkpoint(student: dict, path: str) -> str:
    """A checkpoint as a distillation run writes it: the student's, the
    teacher's and a connector's weights under their prefixes."""
    state = {f'student.{k}': v for k, v in student.items()}
    state['teacher.backbone.conv1.weight'] = torch.ones(32, 1, 3, 3)
    state['connectors.s_head1.fc.weight'] = torch.ones(10, 8)
    torch.save(dict(state_dict=state, meta=dict(iter=1)), path)
    return path


def _run_test_tool(config: str, checkpoint: str, tmp_path, capsys) -> str:
    """``tools/test.py CONFIG CHECKPOINT`` on 8 generated test images;
    returns what it printed (the Runner's log)."""
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 8, 8)
    EvaluatedWeightsHook.seen = {}
    capsys.readouterr()
    metrics = test_tool.main([
        config, checkpoint, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=8'
    ])
    assert 'accuracy/top1' in metrics
    return capsys.readouterr().out


def _assert_evaluated(student: dict) -> None:
    seen = EvaluatedWeightsHook.seen
    assert seen.keys() == student.keys()
    for key, value in student.items():
        assert torch.equal(seen[key], value), key


def test_student_config_with_a_distiller_checkpoint_tests_its_student(
        tmp_path, capsys):
    """Every key has the ``student.`` prefix: the student's own config used
    to load 0 tensors and report the accuracy of a random model."""
    student = _known_student(Config.fromfile(STUDENT_CFG).model, tmp_path)
    ckpt = _save_distiller_checkpoint(student, str(tmp_path / 'run.pth'))
    log = _run_test_tool(_test_config(tmp_path, STUDENT_CFG), ckpt, tmp_path,
                         capsys)
    _assert_evaluated(student)
    assert f"{ckpt} is a distiller checkpoint: loaded its student's " \
        'weights (122 "student." tensors of 124' in log


def test_tofd_config_tests_its_student_without_the_teacher_file(
        tmp_path, capsys):
    """The TOFD config's teacher-with-heads file does not exist: testing
    used to stop in the teacher's loading; the student's weights are what
    the checkpoint holds."""
    cfg = Config.fromfile(TOFD_CFG)
    assert not osp.exists(cfg.model.teacher_ckpt)
    student = _known_student(resolve_model_cfg(cfg.model.student, 'student'),
                             tmp_path)
    ckpt = _save_distiller_checkpoint(student, str(tmp_path / 'tofd.pth'))
    log = _run_test_tool(_test_config(tmp_path, TOFD_CFG), ckpt, tmp_path,
                         capsys)
    _assert_evaluated(student)
    assert 'A distillation config: testing its student alone' in log

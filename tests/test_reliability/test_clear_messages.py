"""Errors that named the wrong problem, or none (issue 32, item 6): each
names the problem and its fix."""
import gzip
import os
import shutil

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.presets import nd, pefd
from mmfeatdistill.registry import MODELS
from mmfeatdistill.tools import train
from mmfeatdistill.tools.prepare_fashion_mnist import FILES
from mmfeatdistill.tools.prepare_fmnist_scenes import main as scenes_main
from mmfeatdistill.utils import resolve_model_cfg
from tests.helpers import (cls_batch, config_path, fake_data_and_teacher,
                           make_fake_fashion_mnist, save_model_checkpoint)

KD_CFG = config_path('kd/kd_resnet18-w32_resnet18-w8_fmnist.py')
PAIR = config_path('_base_/fmnist_distill_pair.py')
SCENES_ARGS = [
    '--num-train', '2', '--num-val', '1', '--num-test', '1', '--val-start',
    '12', '--no-progress'
]


def _batch(model, size=4):
    data = model.data_preprocessor(cls_batch(size, (1, 28, 28)), True)
    return data['inputs'], data['data_samples']


def test_kd_with_a_teacher_of_other_classes_names_the_class_counts(tmp_path):
    cfg = Config.fromfile(KD_CFG).model
    cfg.teacher.head.num_classes = 20
    cfg.teacher_ckpt = str(tmp_path / 'teacher20.pth')
    save_model_checkpoint(cfg.teacher, cfg.teacher_ckpt)
    model = MODELS.build(cfg)
    with pytest.raises(ValueError) as info:
        model.loss(*_batch(model))
    message = str(info.value)
    assert 'the teacher has 20 classes and the student 10' in message
    assert 'trained on the same classes' in message
    assert 'num_classes must match' in message
    assert 'Add or fix a connector' not in message


@pytest.mark.parametrize('preset,connector', [(pefd, 'projector'),
                                              (nd, 'transform')])
def test_wrong_teacher_width_of_a_preset_names_its_argument(
        tmp_path, preset, connector):
    """PEFD/ND with the teacher's width given wrong: the fix is the preset's
    teacher_channels, not a ConvConnector."""
    pair = Config.fromfile(PAIR)
    ckpt = str(tmp_path / 'teacher.pth')
    save_model_checkpoint(pair.teacher, ckpt)
    model_cfg, _ = preset(teacher=pair.teacher, student=pair.student,
                          teacher_ckpt=ckpt, student_channels=64,
                          teacher_channels=128)  # the teacher has 256
    model = MODELS.build(model_cfg)
    with pytest.raises(ValueError) as info:
        model.loss(*_batch(model))
    message = str(info.value)
    assert (f"Connector '{connector}'" in message
            and 'maps the student to 128 channels but the teacher' in message
            and 'has 256' in message), message
    assert f'{preset.__name__}(..., teacher_channels=256)' in message
    assert 'ConvConnector' not in message


def test_tofd_head_widths_error_names_the_preset(tmp_path):
    """The error named ``tofd_distiller``, which no longer exists."""
    pair = Config.fromfile(PAIR)
    student, teacher = (MODELS.build(resolve_model_cfg(pair[k], k))
                        for k in ('student', 'teacher'))
    stages = [f'backbone.layer{k}' for k in (1, 2, 3, 4)]
    head = MODELS.build(
        dict(type='TOFDAuxHead', stages=stages, stage_index=0, num_classes=10,
             side='student', link_to=stages[-1], link_channels=256,
             stage_channels=[8, 16, 32, 65]))
    with pytest.raises(ValueError) as info:
        head.prepare(student, teacher)
    message = str(info.value)
    assert 'tofd_distiller' not in message
    assert 'Give the tofd preset' in message
    assert 'student_channels=[8, 16, 32, 64]' in message


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the CPU case')
def test_amp_on_cpu_says_it_needs_a_gpu():
    args = train.parse_args([KD_CFG, '--amp'])
    cfg = train.load_config(args)
    with pytest.raises(RuntimeError, match='--amp needs a GPU.*without --amp'):
        train.apply_train_args(cfg, args)


def test_resume_from_an_exported_student_says_what_it_is(tmp_path):
    """It said "written by another config"."""
    data_root, teacher = fake_data_and_teacher(tmp_path, KD_CFG)
    exported = str(tmp_path / 'student.pth')
    save_model_checkpoint(Config.fromfile(KD_CFG).model.student, exported)
    with pytest.raises(
            ValueError, match=r'--resume: .*student\.pth is an exported '
            r'student .*no training state.*load_from=.*student\.pth.*'
            r'without --resume'):
        train.main([
            KD_CFG, '--work-dir',
            str(tmp_path / 'work'), '--resume', exported, '--cfg-options',
            f'model.teacher_ckpt={teacher}',
            f'train_dataloader.dataset.data_root={data_root}',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False'
        ])


def test_scenes_without_fashion_mnist_name_the_file_and_the_package(tmp_path):
    """It tried mmpretrain's download (URLError without a network)."""
    with pytest.raises(FileNotFoundError) as info:
        scenes_main(SCENES_ARGS + [
            '--fmnist-root',
            str(tmp_path / 'fmnist'), '--source',
            str(tmp_path / 'no_source'), '--out',
            str(tmp_path / 'scenes')
        ])
    message = str(info.value)
    assert 'train-images-idx3-ubyte' in message
    assert 'apt-get install dataset-fashion-mnist' in message
    assert '--fmnist-root' in message


def test_scenes_from_a_truncated_idx_file_name_it(tmp_path):
    """It was numpy's reshape error, naming no file."""
    root = make_fake_fashion_mnist(str(tmp_path / 'fmnist'), 16, 4)
    path = os.path.join(root, 't10k-images-idx3-ubyte')
    os.truncate(path, os.path.getsize(path) // 2)
    with pytest.raises(ValueError) as info:
        scenes_main(SCENES_ARGS +
                    ['--fmnist-root', root, '--out',
                     str(tmp_path / 'scenes')])
    message = str(info.value)
    assert f'{path} is cut short' in message
    assert f'Delete {path}' in message


def test_scenes_from_a_cut_gz_file_name_it(tmp_path):
    """It was an EOFError naming no file."""
    plain = make_fake_fashion_mnist(str(tmp_path / 'plain'), 16, 4)
    source = tmp_path / 'source'
    source.mkdir()
    for name in FILES:
        with open(os.path.join(plain, name),
                  'rb') as src, gzip.open(str(source / f'{name}.gz'),
                                          'wb') as dst:
            shutil.copyfileobj(src, dst)
    cut = str(source / 'train-labels-idx1-ubyte.gz')
    os.truncate(cut, os.path.getsize(cut) - 12)
    root = str(tmp_path / 'fmnist')
    with pytest.raises(ValueError) as info:
        scenes_main(SCENES_ARGS + [
            '--fmnist-root', root, '--source',
            str(source), '--out',
            str(tmp_path / 'scenes')
        ])
    message = str(info.value)
    assert f'{cut} is cut short or corrupt' in message
    assert 'dataset-fashion-mnist' in message
    assert not [n for n in os.listdir(root) if n.endswith('.part')]

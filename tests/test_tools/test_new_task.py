"""A new task is one entry of the experiment table: a toy task (its own
data set, written by its own prepare script as image folders that
mmpretrain's ``CustomDataset`` reads, and a tiny ResNet pair) trains its
teacher, plain student and a KD stage through ``benchmarks/quality.py``
(which runs the main job's demo for each seed) into the results file its
entry names, with no edit to the demo, the benchmark or the configs of
the other tasks."""
import os.path as osp

from benchmarks import quality
from mmfeatdistill.tools.experiments import (EXPERIMENTS, Experiment, Metric,
                                             Stage)
from tests.helpers import CONFIGS

PREPARE = '''"""Write the toy task's data: 28x28 grey images, dark or light."""
import argparse
import os.path as osp

import mmcv
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument('--out')
out = parser.parse_args().out
rng = np.random.default_rng(0)
for split, count in (('train', 16), ('val', 4), ('test', 4)):
    for label, (low, high) in enumerate(((0, 100), (150, 255))):
        for i in range(count):
            image = rng.integers(low, high, (28, 28), dtype=np.uint8)
            mmcv.imwrite(image, osp.join(out, split, f'class{label}',
                                         f'{i}.png'))
'''

DATA = '''_base_ = [{schedule!r}, {runtime!r}]
data_preprocessor = dict(num_classes=2, mean=[127.5], std=[127.5],
                         to_rgb=False)
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(_scope_='mmpretrain', type='CustomDataset',
                 data_root='unset', data_prefix='train',
                 pipeline=[dict(type='LoadImageFromFile',
                                color_type='grayscale'),
                           dict(type='PackInputs')]))
val_dataloader = dict(train_dataloader, sampler=dict(
    type='DefaultSampler', shuffle=False), dataset=dict(
        train_dataloader['dataset'], data_prefix='val'))
test_dataloader = dict(val_dataloader, dataset=dict(
    val_dataloader['dataset'], data_prefix='test'))
val_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
test_evaluator = val_evaluator
'''


def _model(width: int) -> dict:
    return dict(
        _scope_='mmpretrain', type='ImageClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, in_channels=1,
                      stem_channels=width, base_channels=width, num_stages=4,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=2, in_channels=8 * width,
                  loss=dict(type='CrossEntropyLoss')))


def _toy_task(root) -> Experiment:
    """The toy task's files and its entry of the table."""
    (root / 'prepare_toy.py').write_text(PREPARE)
    (root / 'toy_data.py').write_text(
        DATA.format(
            schedule=osp.join(CONFIGS, '_base_', 'schedules',
                              'fmnist_short.py'),
            runtime=osp.join(CONFIGS, '_base_', 'distill_runtime.py')))
    (root / 'teacher_toy.py'
     ).write_text(f"_base_ = ['./toy_data.py']\nmodel = {_model(8)!r}\n")
    (root / 'student_toy.py'
     ).write_text(f"_base_ = ['./toy_data.py']\nmodel = {_model(2)!r}\n")
    (root / 'kd_toy.py').write_text(
        "_base_ = ['./toy_data.py']\n"
        'from mmfeatdistill.presets import kd\n'
        f'model, custom_hooks = kd(teacher={_model(8)!r}, '
        f'student={_model(2)!r}, teacher_ckpt=None)\n'
        "optim_wrapper = dict(constructor='DistillerOptimWrapperConstructor')"
        '\n')
    return Experiment(
        task='toy',
        title='Toy task (generated image folders)',
        metrics=(Metric('accuracy/top1', 'top-1 (%)'), ),
        stages=(Stage('teacher', str(root / 'teacher_toy.py'), 'teacher'),
                Stage('student (baseline)', str(root / 'student_toy.py'),
                      'baseline'),
                Stage('KD', str(root / 'kd_toy.py'), 'reference')),
        data_root=str(root / 'data'),
        prepare=(str(root / 'prepare_toy.py'), '--out', '{data_root}'),
        schedules=dict(short=dict(epochs=1, train_subset=0, teacher_epochs=1,
                                  teacher_train_subset=0)),
        # benchmarks/results/ would hold it; here a file of the test's
        results_file=str(root / 'toy.md'))


def test_a_new_task_is_one_table_entry(tmp_path, monkeypatch):
    experiment = _toy_task(tmp_path)
    monkeypatch.setitem(EXPERIMENTS, 'toy', experiment)
    assert experiment.work_dir == 'work_dirs/demo_toy'  # the default
    out = tmp_path / 'toy.md'
    text = quality.main([
        '--task', 'toy', '--seeds', '0', '--work-dir',
        str(tmp_path / 'quality'), '--workers', '0', '--log-interval', '1'
    ])
    # the prepare script of the entry wrote the data
    assert osp.isfile(tmp_path / 'data' / 'test' / 'class1' / '3.png')
    assert 'Toy task (generated image folders)' in text
    for row in ('| teacher |', '| student (baseline) |', '| KD |'):
        assert row in out.read_text(), row

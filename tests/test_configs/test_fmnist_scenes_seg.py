"""The segmentation demo end to end (``tools/demo.py --task seg``, what
``bash tools/run_demo.sh --task seg`` runs) on a handful of scenes: the
table's data step writes ~30 scenes from fake Fashion-MNIST files, then
every stage of the ``'seg'`` experiment (teacher, plain student, KD,
feature MSE, OFD, TOFD with its teacher-heads step, PEFD, ND (KD++)) trains
its config in ``configs/fmnist_scenes`` for one short epoch and is
evaluated (mIoU) on the test split."""
import dataclasses
import json
import os.path as osp

from mmengine.config import Config

from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS
from tests.helpers import make_fake_fashion_mnist

# Fake Fashion-MNIST: 60 training images (train scenes draw from 0-39, val
# scenes from the held-out 40-59) and 20 test images.
NUM_TRAIN, NUM_TEST, VAL_START = 60, 20, 40
SCENES = dict(train=16, val=4, test=8)


def test_seg_demo_every_stage_one_epoch(tmp_path):
    fmnist = make_fake_fashion_mnist(str(tmp_path / 'fmnist'), NUM_TRAIN,
                                     NUM_TEST)
    data_root = str(tmp_path / 'scenes')
    work = str(tmp_path / 'demo_seg')
    table = EXPERIMENTS['seg']
    # the table's own data step, on the fake files and with a few scenes
    small = [f'--num-{split}={n}' for split, n in SCENES.items()]
    experiment = dataclasses.replace(
        table, prepare=table.prepare +
        (f'--fmnist-root={fmnist}', f'--val-start={VAL_START}',
         '--no-progress', *small))
    # 16 training scenes, batch 4: 4 iterations per stage
    results = demo.main([
        '--task', 'seg', '--work-dir', work, '--data-root', data_root,
        '--epochs', '1', '--teacher-epochs', '1', '--train-subset', '0',
        '--teacher-train-subset', '0', '--batch-size', '4', '--workers', '0',
        '--log-interval', '1', '--quiet'
    ], experiment=experiment)

    with open(osp.join(data_root, 'meta.json')) as f:
        counts = json.load(f)['counts']
    assert {s: counts[s]['scenes'] for s in SCENES} == SCENES
    assert [r['name'] for r in results] == [s.name for s in table.stages]
    for result in results:
        assert 0 <= result['metrics']['mIoU'] <= 100, result['name']
    # each stage logged its training losses: the segmentor's cross-entropy
    # and, for the distilled students, every loss of its config
    for stage, result in zip(table.stages, results):
        logged = {k for x in result['records'] for k in x}
        assert 'decode.loss_ce' in logged, (stage.name, sorted(logged))
        if stage.kind in ('teacher', 'baseline'):
            continue
        losses = Config.fromfile(osp.join(demo.REPO,
                                          stage.config)).model.distill_losses
        assert losses and set(losses) <= logged, (stage.name, sorted(logged))
    # TOFD's step 1 wrote the teacher with heads; ND computed its means
    assert osp.isfile(
        osp.join(work, 'TOFD', 'teacher_heads', 'teacher_with_heads.pth'))
    assert osp.isfile(osp.join(work, 'ND__KD', 'class_means', 'loss_nd.pth'))
    with open(osp.join(work, 'results.md')) as f:
        text = f.read()
    assert all(f'| {s.name} |' in text for s in table.stages)
    assert 'mIoU (%)' in text
    assert osp.getsize(osp.join(work, 'results.png')) > 10_000

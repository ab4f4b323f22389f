"""The detection demo end to end (``tools/demo.py --task det``, what
``bash tools/run_demo.sh --task det`` runs) on a handful of scenes: the
table's data step writes ~20 scenes from fake Fashion-MNIST files, then
every stage of the ``'det'`` experiment (SSD teacher, plain student, KD
on the anchors' class scores, feature MSE, OFD, TOFD with its
teacher-heads step, PEFD, ND) trains its config in ``configs/<method>/``
(teacher and student: ``configs/fashion_mnist/``) for one short epoch and
is evaluated (COCO box mAP and mAP@0.5, mmdet's CocoMetric) on the test
split."""
import glob
import os.path as osp

from mmengine.config import Config

from mmfeatdistill.tools import demo
from tests.helpers import assert_losses_logged, run_scenes_demo

SCENES = dict(train=8, val=4, test=4)
METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50')


def test_det_demo_every_stage_one_epoch(tmp_path):
    # 8 training scenes, batch 4: 2 iterations per stage; the
    # helper checks the scenes written and that each stage has a result
    table, results, work, data_root = run_scenes_demo(tmp_path, 'det', SCENES)

    assert [m.key for m in table.metrics] == list(METRICS)
    for result in results:
        for key in METRICS:  # percent
            assert 0 <= result['metrics'][key] <= 100, (result['name'], key)
    # each stage logged its training losses: SSD's and, for the distilled
    # students, every loss of its config
    assert_losses_logged(table, results, {'loss_cls', 'loss_bbox'})
    # the evaluators read the generated ground truth (the table's
    # data_options), not the default data/fmnist_scenes
    stage = table.stages[1]
    dumps = glob.glob(
        osp.join(work, demo.slug(stage.name), '**',
                 osp.basename(stage.config)), recursive=True)
    assert dumps, 'the baseline run dumped no config'
    dumped = Config.fromfile(dumps[0])
    for split in ('val', 'test'):
        ann_file = dumped[f'{split}_evaluator'].ann_file
        assert ann_file == osp.join(osp.abspath(data_root), 'annotations',
                                    f'instances_{split}.json'), ann_file
    # TOFD's step 1 wrote the teacher with heads; ND computed the means of
    # each of the 4 levels
    assert osp.isfile(
        osp.join(work, 'TOFD_teacher_heads', 'teacher_with_heads.pth'))
    for level in range(4):
        assert osp.isfile(
            osp.join(work, 'ND', 'class_means', f'loss_nd{level}.pth'))
    with open(osp.join(work, 'results.md')) as f:
        text = f.read()
    assert all(f'| {s.name} |' in text for s in table.stages)
    assert 'mAP (%)' in text and 'mAP@0.5 (%)' in text
    assert osp.getsize(osp.join(work, 'results.png')) > 10_000

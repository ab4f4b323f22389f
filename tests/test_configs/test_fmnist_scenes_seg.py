"""The segmentation demo end to end (``tools/demo.py --task seg``, what
``bash tools/run_demo.sh --task seg`` runs) on a handful of scenes: the
table's data step writes ~30 scenes from fake Fashion-MNIST files, then
every stage of the ``'seg'`` experiment (teacher, plain student, KD,
feature MSE, OFD, TOFD with its teacher-heads step, PEFD, ND (KD++)) trains
its config in ``configs/<method>/`` (teacher and student:
``configs/fashion_mnist/``) for one short epoch and is
evaluated (mIoU) on the test split."""
import os.path as osp

from tests.helpers import assert_losses_logged, run_scenes_demo

SCENES = dict(train=16, val=4, test=8)


def test_seg_demo_every_stage_one_epoch(tmp_path):
    # 16 training scenes, batch 4: 4 iterations per stage; the
    # helper checks the scenes written and that each stage has a result
    table, results, work, _ = run_scenes_demo(tmp_path, 'seg', SCENES)

    for result in results:
        assert 0 <= result['metrics']['mIoU'] <= 100, result['name']
    # each stage logged its training losses: the segmentor's cross-entropy
    # and, for the distilled students, every loss of its config
    assert_losses_logged(table, results, {'decode.loss_ce'})
    # TOFD's step 1 wrote the teacher with heads; ND computed its means
    assert osp.isfile(
        osp.join(work, 'TOFD_teacher_heads', 'teacher_with_heads.pth'))
    assert osp.isfile(osp.join(work, 'ND__KD', 'class_means', 'loss_nd.pth'))
    with open(osp.join(work, 'results.md')) as f:
        text = f.read()
    assert all(f'| {s.name} |' in text for s in table.stages)
    assert 'mIoU (%)' in text
    assert osp.getsize(osp.join(work, 'results.png')) > 10_000

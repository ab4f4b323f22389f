"""The demo's pipeline (tools/demo.py, what `bash tools/run_demo.sh` runs)
on a few hundred generated images, one iteration per stage."""
import os.path as osp

from mmfeatdistill.tools import demo
from tests.helpers import make_fake_fashion_mnist


def test_demo_pipeline_one_iteration_per_method(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 200, 100)
    work = str(tmp_path / 'demo')
    args = ['--work-dir', work, '--data-root', data_root, '--epochs', '1',
            '--teacher-epochs', '1', '--train-subset', '0',
            '--teacher-train-subset', '0',
            '--batch-size', '200', '--workers', '0', '--log-interval', '1',
            '--quiet']
    results = demo.main(args)
    names = [r['name'] for r in results]
    assert names == ['teacher', 'student (baseline)', 'OFD', 'TOFD', 'PEFD',
                     'ND (KD++)']
    assert all(0 <= r['top1'] <= 100 for r in results)
    table = open(osp.join(work, 'results.md')).read()
    for name in names:
        assert f'| {name} |' in table
    assert osp.getsize(osp.join(work, 'results.png')) > 10_000
    # each method logged its own losses
    logged = {r['name']: {k for x in r['records'] for k in x}
              for r in results}
    assert 'loss_ofd_stage1' in logged['OFD']
    assert 'loss_tofd_orth4' in logged['TOFD']
    assert 'loss_pefd' in logged['PEFD']
    assert {'loss_nd', 'loss_kd'} <= logged['ND (KD++)']
    # the teacher is cached: a second run reuses it
    again = demo.main(args + ['--only'])
    assert again[0].get('cached')

"""benchmarks/step_profile.py profiles a task's baseline and distillation
stage through the Runner's own loop (a few iterations on generated
data) and writes its table."""
import os.path as osp

from benchmarks.step_profile import main
from tests.helpers import make_fake_fashion_mnist


def test_step_profile_writes_a_row_per_stage(tmp_path):
    data = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 16)
    out = str(tmp_path / 'step_profile.md')
    text = main([
        '--tasks', 'cls', '--stage', 'PEFD', '--warmup', '1', '--iters', '2',
        '--val-batches', '1', '--label', 'test', '--out', out, '--demo-args',
        '--data-root', data, '--workers', '0', '--batch-size', '4'
    ])
    rows = [line for line in text.splitlines() if line.startswith('| cls')]
    assert [row.split(' | ')[1] for row in rows] == \
        ['student (baseline)', 'PEFD']
    for row in rows:
        cells = row.strip('| ').split(' | ')
        # batch, workers, then the step's median and the lower bound > 0
        assert cells[2:4] == ['4', '0']
        assert float(cells[4]) > 0 and float(cells[12]) > 0
    with open(out) as f:
        written = f.read()
    assert '<!-- test table: written by benchmarks/step_profile.py -->' \
        in written and text in written
    assert osp.exists(out)

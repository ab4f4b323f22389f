"""The demo's pipeline (tools/demo.py, what `bash tools/run_demo.sh` runs)
on a few hundred generated images, one iteration per stage, for every stage
of the experiment table's classification task."""
import os.path as osp

from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS
from tests.helpers import main_command_threads, make_fake_fashion_mnist


def test_demo_pipeline_one_iteration_per_stage(tmp_path):
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 200, 100)
    work = str(tmp_path / 'demo')
    args = [
        '--work-dir', work, '--data-root', data_root, '--epochs', '1',
        '--teacher-epochs', '1', '--train-subset', '0',
        '--teacher-train-subset', '0', '--batch-size', '200', '--workers', '0',
        '--log-interval', '1', '--quiet', '--jobs', '2'
    ]
    with main_command_threads():  # as the main command runs its stages
        results = demo.main(args)
    experiment = EXPERIMENTS['cls']
    names = [r['name'] for r in results]
    assert names == [s.name for s in experiment.stages]
    assert all(0 <= r['metrics']['accuracy/top1'] <= 100 for r in results)
    table = open(osp.join(work, 'results.md')).read()
    for name in names:
        assert f'| {name} |' in table
    assert osp.getsize(osp.join(work, 'results.png')) > 10_000
    # each distilled student logged its config's own losses
    from mmengine.config import Config
    for stage, result in zip(experiment.stages, results):
        if stage.kind in ('teacher', 'baseline'):
            continue
        logged = {k for x in result['records'] for k in x}
        losses = Config.fromfile(osp.join(demo.REPO,
                                          stage.config)).model.distill_losses
        assert set(losses) <= logged, (stage.name, sorted(logged))
    # the stages are cached: a second run reuses them (the plain student
    # alone: no teacher is trained or listed, test_stage_ledger.py)
    with main_command_threads():
        again = demo.main(args + ['--only'])
    assert again[0].get('cached')
    assert [r['name'] for r in again] == ['student (baseline)']

"""The stage ledger (``--ledger``) of the main job and the quality
benchmark: finished stages' results survive the loss of the machine and
its stage cache, a stage's key names the stages it reads by their keys
(not their files' bytes), and a teacher is trained again only for a stage
the ledger lacks. The stages' runs are replaced by a stand-in that writes
what a run writes (a checkpoint with other bytes each time)."""
import json
import os
import os.path as osp
import shutil
import threading
from typing import List

import pytest
import torch

from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS
from mmfeatdistill.tools.stage_cache import StageCache, StageLedger

#: the seconds each script's stand-in run "takes"
RUN_TIME = {'train.py': 1.0, 'train_tofd_teacher_heads.py': 3.0}


def _fake_runs(monkeypatch) -> List[tuple]:
    """Replace each stage's run by one that writes its outputs; records
    ``(script, config, options)``."""
    calls = []
    metrics = {m.key: 0.5 for e in EXPERIMENTS.values() for m in e.metrics}

    def run_script(script, config, work_dir, options, quiet, extra=(),
                   device='cpu'):
        calls.append((script, config, list(options)))
        ckpt = osp.join(work_dir, 'epoch_1.pth')
        with open(ckpt, 'wb') as f:
            f.write(os.urandom(64))  # a rerun's bytes differ
        with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
            f.write(ckpt)
        if script == 'train_tofd_teacher_heads.py':
            with open(osp.join(work_dir, 'teacher_with_heads.pth'), 'wb') as f:
                f.write(os.urandom(64))
        with open(osp.join(work_dir, 'test_metrics.json'), 'w') as f:
            json.dump(metrics, f)
        os.makedirs(osp.join(work_dir, 'run', 'vis_data'), exist_ok=True)
        with open(osp.join(work_dir, 'run', 'vis_data', 'scalars.json'),
                  'w') as f:
            f.write(json.dumps(dict(metrics, step=1)) + '\n')
        return RUN_TIME[script]

    monkeypatch.setattr(demo, 'run_script', run_script)
    monkeypatch.setattr(demo, 'prepare_data', lambda *args: None)
    monkeypatch.setattr(demo, 'plot', lambda *args: None)
    return calls


def _argv(tmp_path, cache: str, *only: str) -> List[str]:
    return [
        '--task', 'cls', '--work-dir',
        str(tmp_path / f'work_{cache}'), '--cache-dir',
        str(tmp_path / cache), '--ledger',
        str(tmp_path / 'ledger.json'), '--quiet', '--only', *only
    ]


def _demo(tmp_path, cache: str, *only: str) -> List[dict]:
    return demo.main(_argv(tmp_path, cache, *only))


def _configs(calls) -> List[str]:
    return [osp.basename(c[1]) for c in calls]


def test_ledger_outlives_the_cache(monkeypatch, tmp_path):
    calls = _fake_runs(monkeypatch)
    experiment = EXPERIMENTS['cls']
    by_name = {s.name: s for s in experiment.stages}
    baseline = next(s for s in experiment.stages if s.kind == 'baseline')
    first = _demo(tmp_path, 'cache1', 'OFD')
    assert _configs(calls) == [
        osp.basename(s.config)
        for s in (experiment.teacher, baseline, by_name['OFD'])
    ]
    ledger = StageLedger(str(tmp_path / 'ledger.json'))._read()
    assert len(ledger) == 3
    # the distiller's key names its teacher by the teacher's key
    ofd = next(r for r in ledger.values()
               if r['config'] == by_name['OFD'].config)
    teacher_ckpt = [o for o in ofd['options'] if 'teacher_ckpt' in o]
    assert len(teacher_ckpt) == 1
    assert teacher_ckpt[0].startswith('model.teacher_ckpt=stage:')

    # a new machine: an empty cache, the same ledger: nothing is trained
    calls.clear()
    again = _demo(tmp_path, 'cache2', 'OFD')
    assert calls == []
    assert all(r['ledger'] for r in again)
    assert [r['metrics'] for r in again] == [r['metrics'] for r in first]

    # a stage the ledger lacks: its teacher (and TOFD's heads) trained
    # again for it, nothing else
    fresh = _demo(tmp_path, 'cache2', 'OFD', 'TOFD')
    assert _configs(calls) == [
        osp.basename(experiment.teacher.config),
        osp.basename(by_name['TOFD'].teacher_heads),
        osp.basename(by_name['TOFD'].config)
    ]
    # the retrained teacher (other bytes) changes no student's key
    calls.clear()
    from_ledger = _demo(tmp_path, 'cache3', 'OFD', 'TOFD')
    assert calls == []
    # TOFD's row counts its teacher-heads step's run, whether the row
    # was trained now (with the step), comes from the cache or from the
    # ledger
    cached = _demo(tmp_path, 'cache2', 'TOFD')
    for results in (fresh, from_ledger, cached):
        tofd = next(r for r in results if r['name'] == 'TOFD')
        assert tofd['time'] == 1.0 + 3.0, results
    # the keys the benchmarks find the ledger's records by, computed
    # without a run (TOFD's names its teacher-heads step by that step's
    # key)
    ledger = StageLedger(str(tmp_path / 'ledger.json')).records()
    names = [experiment.teacher.name, baseline.name, 'OFD', 'TOFD']
    keys = demo.stage_keys_of(_argv(tmp_path, 'cache4'), names=names)
    assert sorted(keys) == sorted(names)
    assert {ledger[keys[n]]['config']
            for n in names} == {by_name[n].config
                                for n in names}
    assert set(ledger) == set(keys.values())
    # with the teacher-heads step's key: the entry its run is filed under
    heads = demo.stage_keys_of(_argv(tmp_path, 'cache2'), names=['TOFD'],
                               steps=True)
    assert set(heads) == {'TOFD', 'TOFD' + demo.HEADS_STEP}
    step = StageCache(str(tmp_path / 'cache2')).entry(heads['TOFD' +
                                                            demo.HEADS_STEP])
    assert osp.isfile(osp.join(step.work_dir, 'teacher_with_heads.pth'))
    # a TOFD stage trained again on a cached teacher-heads step (its own
    # result gone from the cache and the ledger): the row counts the
    # step's earlier run too
    key = demo.stage_keys_of(_argv(tmp_path, 'cache2'), names=['TOFD'])
    entry = StageCache(str(tmp_path / 'cache2')).entry(key['TOFD'])
    os.remove(entry.index)
    shutil.rmtree(entry.work_dir)
    os.remove(tmp_path / 'ledger.json')
    calls.clear()
    again = _demo(tmp_path, 'cache2', 'TOFD')
    assert osp.basename(by_name['TOFD'].teacher_heads) not in _configs(calls)
    assert _configs(calls)[-1] == osp.basename(by_name['TOFD'].config)
    assert next(r for r in again if r['name'] == 'TOFD')['time'] == 4.0


def test_teacher_heads_step_shared_by_student_seeds(tmp_path):
    """TOFD's teacher-heads step is part of the teacher: it takes the
    teacher's seed, so the quality benchmark's seeds (``--teacher-seed
    0``) share one step while their TOFD students differ."""

    def keys(*argv: str) -> dict:
        return demo.stage_keys_of(
            _argv(tmp_path, 'cache') + list(argv), names=['TOFD'], steps=True)

    seeds = [
        keys('--seed', str(seed), '--teacher-seed', '0') for seed in (0, 1)
    ]
    step = 'TOFD' + demo.HEADS_STEP
    assert seeds[0][step] == seeds[1][step]
    assert seeds[0]['TOFD'] != seeds[1]['TOFD']
    # a teacher of another seed: another step
    assert keys('--seed', '1')[step] != seeds[0][step]


def test_broken_ledger_names_the_fix(tmp_path):
    path = tmp_path / 'ledger.json'
    path.write_text('{"key": ')
    with pytest.raises(ValueError, match='git checkout'):
        StageLedger(str(path)).get('key', 'eval')


def test_plain_student_alone_trains_no_teacher(monkeypatch, tmp_path):
    """``--only`` with no stage that needs a teacher (the long runs' E and
    2E plain students): the teacher is neither trained nor in the table."""
    calls = _fake_runs(monkeypatch)
    results = _demo(tmp_path, 'cache')
    baseline = next(s for s in EXPERIMENTS['cls'].stages
                    if s.kind == 'baseline')
    assert _configs(calls) == [osp.basename(baseline.config)]
    assert [r['kind'] for r in results] == ['baseline']


def test_failed_stage_stops_the_stages_not_started(monkeypatch, tmp_path):
    """``--jobs``: the first failing stage is reported at once, the stages
    not started yet are not started, its error is raised."""
    calls = _fake_runs(monkeypatch)
    fake = demo.run_script
    kd = next(s for s in EXPERIMENTS['cls'].stages if s.name == 'KD')

    def run_script(script, config, *args, **kwargs):
        if config == kd.config:
            raise RuntimeError('KD broke')
        return fake(script, config, *args, **kwargs)

    monkeypatch.setattr(demo, 'run_script', run_script)
    with pytest.raises(RuntimeError, match='KD broke'):
        _demo(tmp_path, 'cache', 'KD', 'OFD', 'PEFD')
    # the teacher, then the plain student and KD (one job); nothing after
    assert _configs(calls) == [
        osp.basename(s.config) for s in EXPERIMENTS['cls'].stages[:2]
    ]


def test_jobs_train_the_plain_student_beside_the_teacher(
        monkeypatch, tmp_path):
    """``--jobs 2``: the teacher is the first job and the plain student
    the second, at once; a distillation stage starts after the teacher
    has finished; a failing teacher fails the stages that wait for it."""
    calls = _fake_runs(monkeypatch)
    fake = demo.run_script
    stages = EXPERIMENTS['cls'].stages
    teacher, baseline = stages[0].config, stages[1].config
    started = {teacher: threading.Event(), baseline: threading.Event()}
    events = []

    def run_script(script, config, *args, **kwargs):
        events.append(('start', osp.basename(config)))
        if config in started:
            # each of the two waits for the other to have started
            started[config].set()
            other = baseline if config == teacher else teacher
            assert started[other].wait(timeout=30), 'not run at once'
        result = fake(script, config, *args, **kwargs)
        events.append(('end', osp.basename(config)))
        return result

    monkeypatch.setattr(demo, 'run_script', run_script)
    results = _demo(tmp_path, 'cache', 'OFD', '--jobs', '2')
    assert [r['name'] for r in results] == [s.name
                                            for s in stages[:2]] + ['OFD']
    ofd = osp.basename(next(s.config for s in stages if s.name == 'OFD'))
    assert events.index(('start', ofd)) > events.index(
        ('end', osp.basename(teacher)))

    def broken(script, config, *args, **kwargs):
        if config == teacher:
            raise RuntimeError('teacher broke')
        return fake(script, config, *args, **kwargs)

    calls.clear()
    monkeypatch.setattr(demo, 'run_script', broken)
    with pytest.raises(RuntimeError, match='teacher broke'):
        demo.main([
            '--task', 'cls', '--work-dir',
            str(tmp_path / 'work_b'), '--cache-dir',
            str(tmp_path / 'cache_b'), '--quiet', '--only', 'OFD', '--jobs',
            '2'
        ])
    assert ofd not in _configs(calls)


def test_a_failed_retest_keeps_the_finished_result(monkeypatch, tmp_path):
    """Other evaluation settings test cached weights again; when that run
    fails (or is killed), the entry keeps its finished result."""
    _fake_runs(monkeypatch)
    argv = [
        '--task', 'cls', '--work-dir',
        str(tmp_path / 'work'), '--cache-dir',
        str(tmp_path / 'cache'), '--quiet', '--only'
    ]
    demo.main(argv)
    key = demo.stage_keys_of(argv)['student (baseline)']
    entry = StageCache(str(tmp_path / 'cache')).entry(key)
    before = entry.result()
    assert before is not None
    # (a checkpoint a run can resume from, as a real run leaves)
    torch.save(dict(meta=dict(iter=1), state_dict={}), before['ckpt'])

    def killed(*args, **kwargs):
        raise RuntimeError('killed while testing')

    monkeypatch.setattr(demo, 'run_script', killed)
    with pytest.raises(RuntimeError, match='killed while testing'):
        demo.main(argv + ['--test-subset', '8'])
    assert entry.result() == before

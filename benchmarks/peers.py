"""Our distiller side by side with MMRazor 1.0.0 and torchdistill 1.1.5.

The same teacher/student pair, batch and input, timed in each framework in
its own environment (``benchmarks/peer_envs/*.sh`` build the peers'; ours is
the project's ``.venv``), with the scheme of ``benchmarks/overhead.py``
(round-robin rounds, each step's last of ``--block`` runs in a row timed,
medians of per-round ratios):

* ``distill``: the framework's own distillation training step (forward of
  teacher and student with its recording, its losses, backward, optimizer
  step), driven through its public entry point (our and MMRazor's
  ``model.train_step``, torchdistill's ``DistillationBox.forward_process``
  + ``post_forward_process``);
* ``student``: the student's own training step; ``teacher``: the teacher's
  no-grad forward (each in that framework's models);
* ``modules``: where the framework lets its method's modules run alone
  (ours: ``model.record`` + the recorders' ``detach``; MMRazor: its recorders'
  ``data_buffer`` replaced by detached copies, then
  ``distiller.compute_distill_losses``; torchdistill: its criterion, after
  ``secondary_forward`` of the auxiliary wrapper, on a detached I/O dict),
  their forward + backward + the update of their parameters.

``total ratio = distill / (student + teacher)`` in each framework's own
models; ``overhead ratio = distill / (student + teacher + modules)``. Peak
memory: the resident set's peak (``VmHWM``, reset after a warm-up step) of
a fresh process doing distillation steps, and of one doing the student's
step with the teacher's no-grad forward in it; ``memory ratio`` = their
quotient.

Pairs (:data:`PAIRS`): KD ResNet-34 -> ResNet-18 (ImageNet shapes, MMRazor's
KD config's pair and settings) in all three; FitNet (stage-3 hint, 1x1
conv + BN regressor, MSE) ResNet-34 -> ResNet-18 in ours and torchdistill;
OFD ResNet_CIFAR-50 -> ResNet_CIFAR-18 (CIFAR-100) in ours and MMRazor.
Random weights (the cost does not depend on them; teacher BN weights drawn
non-zero as for a trained teacher, which OFD's margins need).

    bash benchmarks/peer_envs/mmrazor.sh        # once, outside .venv
    bash benchmarks/peer_envs/torchdistill.sh   # once, outside .venv
    python benchmarks/peers.py [--repeats 7] [--pairs kd fitnet ofd]
    python benchmarks/peers.py --pairs ofd --teacher-bn running
    python benchmarks/peers.py --profile --pairs ofd [--teacher-bn running]

Writes ``benchmarks/results/peers.md`` (the table between its markers).
A worker (one framework, one pair, one job) runs in the framework's
environment: ``ENV/bin/python benchmarks/peers.py --worker FRAMEWORK PAIR
JOB`` prints one JSON line.
Its parts are in ``benchmarks/_peers/`` (pairs, measuring, one adapter
per framework, the driver, the tables).
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys
import tempfile

if __package__:  # imported (``benchmarks.peers``: tests, tools)
    from ._peers import (measuring, mmrazor_models, ours, pairs, report,
                         torchdistill_box)
else:  # the script, also a worker in a peer's environment, where the
    # repository is not on the path: its parts from benchmarks/
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from _peers import (measuring, mmrazor_models, ours, pairs, report,
                        torchdistill_box)

PAIRS, REPO, TEACHER_BN = pairs.PAIRS, pairs.REPO, pairs.TEACHER_BN
# what the tests use of the parts
profile_step = measuring.profile_step
_mmrazor_model = mmrazor_models._mmrazor_model
op_differences = report.op_differences

#: framework -> the function that builds its steps for a pair
BUILDERS = dict(ours=ours.build_ours, mmrazor=mmrazor_models.build_mmrazor,
                torchdistill=torchdistill_box.build_torchdistill)


def worker(framework, pair, job, repeats, block, teacher_bn='own'):
    """One framework, one pair, one job (``time``, ``memory-distill``,
    ``memory-base``, ``profile-<step>``): print a JSON line."""
    import logging

    import torch
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    logging.disable(logging.WARNING)  # the frameworks' init logs
    steps, before, info = BUILDERS[framework](pair, teacher_bn)
    info.update(torch=torch.__version__, python=platform.python_version())
    if job == 'time':
        result = measuring.time_steps(steps, before, repeats, block)
    else:
        kind, step = job.split('-', 1)
        result = measuring.profile_step(steps[step], top=None) \
            if kind == 'profile' else measuring.peak_rss(steps[step])
    result.update(info)
    print('RESULT ' + json.dumps(result), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('--worker', nargs=3,
                        metavar=('FRAMEWORK', 'PAIR', 'JOB'))
    parser.add_argument('--pairs', nargs='*', default=list(PAIRS))
    parser.add_argument('--frameworks', nargs='*',
                        default=list(pairs.FRAMEWORKS))
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument(
        '--profile', action='store_true',
        help='instead of the table: torch.profiler of the distill, student '
        'and teacher steps (top ops by self CPU time) per framework')
    parser.add_argument('--block', type=int, default=2)
    parser.add_argument(
        '--teacher-bn', choices=TEACHER_BN, default='own',
        help="the teachers' BN layers: each framework's default (own), or "
        'running or batch statistics in every framework')
    parser.add_argument('--batch', type=int, default=None,
                        help='batch size of every pair (default: PAIRS)')
    parser.add_argument('--size', type=int, default=None,
                        help='input size of every pair (default: PAIRS)')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results', 'peers.md'))
    parser.add_argument('--log', default=osp.join(tempfile.gettempdir(),
                                                  'peers.log'))
    args = parser.parse_args(argv)
    for spec in PAIRS.values():  # --batch/--size: every pair
        spec['batch'] = args.batch or spec['batch']
        spec['size'] = args.size or spec['size']
    if args.worker:
        worker(*args.worker, args.repeats, args.block, args.teacher_bn)
        return
    # here in our environment only (the workers run in the peers')
    sys.path.insert(0, REPO)
    if args.profile:
        report.profile(args)
        return
    report.table(args)


if __name__ == '__main__':
    main()

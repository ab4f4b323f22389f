"""What ``benchmarks/peers.py`` writes (our environment): the table of
timings and memory, and the ``--profile`` table, each into its section of
``benchmarks/results/peers.md``."""
import json
import os
import platform

from .driver import measure, run_worker, selected_runs
from .pairs import FRAMEWORKS, PAIRS

#: The heading of a new results file.
HEADING = '# Our distiller and its peers, side by side\n'


def table_line(pair, r):
    spec = PAIRS[pair]
    modules = f'{1e3 * r["modules"]:.1f}' if 'modules' in r else 'n/a'
    overhead = f'{r["overhead_ratio"]:.3f}' if 'overhead_ratio' in r \
        else 'n/a'
    return (f'| {pair} | {r["framework"]} (torch {r["torch"]}) | '
            f'{spec["batch"]} x {spec["size"]} | {1e3 * r["distill"]:.1f} | '
            f'{1e3 * r["student"]:.1f} | {1e3 * r["teacher"]:.1f} | '
            f'{modules} | {r["total_ratio"]:.3f} | {overhead} | '
            f'{r["mem_distill"]:.0f} / {r["mem_base"]:.0f} | '
            f'{r["mem_distill"] / r["mem_base"]:.3f} |')


def op_differences(distill, student, teacher, top=8):
    """Per op, self CPU ms of the distill step minus those of the student
    step and the teacher's forward (``profile_step`` results with every
    op): the ``top`` largest differences either way, largest first, as
    ``[name, ms, calls]`` differences."""
    diff = {}
    for sign, run in ((1, distill), (-1, student), (-1, teacher)):
        for name, ms, calls in run['ops']:
            total = diff.setdefault(name, [0.0, 0.0])
            total[0] += sign * ms
            total[1] += sign * calls
    ranked = sorted(diff.items(), key=lambda item: -abs(item[1][0]))
    return [[name, ms, calls] for name, (ms, calls) in ranked[:top]]


def _section(kind, teacher_bn):
    """Name of the results section (``kind``: table or profile)."""
    return f'peers {kind}' if teacher_bn == 'own' else \
        f'peers teacher-bn-{teacher_bn} {kind}'


def profile(args) -> None:
    """``--profile``: per pair and framework, the self CPU time of the
    distill, student and teacher steps, the distill step's top ops and the
    ops whose time differs most between the distill step and the other two
    together, written to the ``peers profile`` section of ``--out``."""
    from benchmarks._common import write_section
    lines = [
        '| pair | framework | distill / student / teacher self CPU (ms) '
        '| distill - student - teacher (ms) | distill step\'s top ops: '
        'ms per step (calls) | largest per-op differences distill - '
        'student - teacher: ms per step (calls) |', '|---|---|---|---|---|---|'
    ]
    for pair, framework in selected_runs(args):
        r = {
            step:
            run_worker(framework, pair, f'profile-{step}', 1, 1, args.log,
                       args.teacher_bn)
            for step in ('distill', 'student', 'teacher')
        }
        d, st, t = (run['total_ms'] for run in r.values())
        ops = '; '.join(f'`{name}` {ms:.0f} ({calls:.0f})'
                        for name, ms, calls in r['distill']['ops'][:8])
        diffs = '; '.join(f'`{name}` {ms:+.0f} ({calls:+.0f})'
                          for name, ms, calls in op_differences(*r.values()))
        lines.append(f'| {pair} | {r["distill"]["framework"]} (torch '
                     f'{r["distill"]["torch"]}) | {d:.0f} / {st:.0f} / '
                     f'{t:.0f} | {d - st - t:+.0f} | {ops} | {diffs} |')
        print(lines[-1], flush=True)
    teacher_bn = '' if args.teacher_bn == 'own' else \
        f' --teacher-bn {args.teacher_bn}'
    text = '\n'.join([
        f'Command: `python benchmarks/peers.py --profile --pairs '
        f'{" ".join(args.pairs)}{teacher_bn}` (OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", 2)}; 3 profiled steps after 2 '
        f'warm-up runs, per step).', '', *lines
    ])
    write_section(args.out, _section('profile', args.teacher_bn), text,
                  'benchmarks/peers.py', heading=HEADING)


def table(args) -> None:
    """The table: per pair and framework, the step times, their ratios and
    the memory peaks, written to the ``peers table`` section of ``--out``."""
    from benchmarks._common import load_average, write_section
    header = ('| pair | framework | batch x input | distill (ms) | student '
              '(ms) | teacher fwd (ms) | modules (ms) | total ratio | '
              'overhead ratio | peak MiB RSS: distill / student step with '
              'teacher fwd | memory ratio |')
    lines = [header, '|' + '---|' * 11]
    loads, failures, notes = [], [], []
    for pair, framework in selected_runs(args):
        loads.append(load_average())
        try:
            r = measure(framework, pair, args.repeats, args.block, args.log,
                        args.teacher_bn)
        except RuntimeError as err:
            failures.append(f'- {pair} / {framework}: '
                            f'{str(err).strip().splitlines()[-1]}')
            print(failures[-1], flush=True)
            continue
        if 'records_changed_in_place' in r:
            notes.append(f'- {pair} / {r["framework"]}: the student '
                         f'records its losses read (version counter: '
                         f'in-place changes since the BN made them; '
                         f'fraction of negative values): '
                         f'{json.dumps(r["records_changed_in_place"])}')
        lines.append(table_line(pair, r))
        print(lines[-1], flush=True)
    loads.append(load_average())
    command = 'python benchmarks/peers.py'
    if args.repeats != 7:
        command += f' --repeats {args.repeats}'
    for flag in ('batch', 'size'):
        if getattr(args, flag):
            command += f' --{flag} {getattr(args, flag)}'
    if args.pairs != list(PAIRS):
        command += ' --pairs ' + ' '.join(args.pairs)
    if args.frameworks != list(FRAMEWORKS):
        command += ' --frameworks ' + ' '.join(args.frameworks)
    if args.teacher_bn != 'own':
        command += f' --teacher-bn {args.teacher_bn}'
    text = '\n'.join([
        f'Command: `{command}` (OMP_NUM_THREADS='
        f'{os.environ.get("OMP_NUM_THREADS", 2)}). Machine: '
        f'{platform.machine()}, {os.cpu_count()} CPU cores, '
        f'{platform.platform()}. Load average (1 / 5 / 15 min) before each '
        f'row and at the end: {"; ".join(loads)}.', '', *lines
    ] + ([''] + notes if notes else []) +
                     (['', 'Failures:'] + failures if failures else []))
    write_section(args.out, _section('table', args.teacher_bn), text,
                  'benchmarks/peers.py', heading=HEADING)
    print(f'written {args.out}')

"""What distillation costs per training step, and what our plumbing adds.

Rows: the distiller configs matching ``--configs`` (globs; by default
:data:`DEFAULT_CONFIGS`: every method's CIFAR-100 config and OFD's SSD and
DeepLabV3+ configs). A row's task comes from its student's registry scope
(mmpretrain, mmdet, mmseg), its batch and input size from
:data:`TASKS` (CPU and CUDA defaults; ``--batch``/``--size`` override).
For each row, on one fixed synthetic batch in one process, the median over
rounds of:

* ``distill``: the distiller's full training step (student + teacher
  forward, recorders, connectors, losses, backward, optimizer step);
* ``student``: the student's own training step (same optimizer settings);
* ``teacher``: the teacher's no-grad forward;
* ``modules``: the method's own modules (connectors, heads, projectors,
  losses) forward + backward on the records of one forward cut from the
  models' graphs (``model.record`` then the recorders' ``detach``; the
  backward ends at the student's features: the gradient the method sends
  into them is its cost, the student's backward is not), plus the optimizer
  update of the method's trainable parameters.

``total ratio = distill / (student + teacher)`` is what a user pays;
``overhead ratio = distill / (student + teacher + modules)`` is what the
recorders, mapping and copies cost beyond the unavoidable. Both ratios are
the medians of the per-round ratios (a round times every step once, within
seconds, so a drift of a shared machine cancels out of them). Each step is
run ``--block`` times in a row per round and only the last run is timed:
every step is then timed in its own steady state (the CPU allocator's
page faults depend on the step that ran just before, see the results).

Memory, each in a fresh process, peak over the steps after a warm-up step:

* ``distill``: distillation steps; ``base``: the student's training step
  with the teacher's no-grad forward in it (first, as the distiller runs
  them), same models built; ``memory ratio = distill / base``;
* ``modules``: the method's modules step as timed above; its *peak
  increment* is how far a step's peak rises above the memory right before
  it (the cut records in place): the memory the method needs on its own;
* ``plumbing memory ratio = distill / (base + modules increment)``: what
  the recorders and their copies add beyond the two.

``--memory device`` (default): on CPU the peak resident set (``VmHWM``,
reset through ``/proc/self/clear_refs``; freed memory is handed back with
``malloc_trim`` before a modules step), on CUDA
``torch.cuda.max_memory_allocated``. ``--memory tensors``: the bytes of
live tensors (models and batch included) counted op by op
(:class:`LiveTensorBytes`), what CUDA's allocated memory counts but on any
device: with ``--sizes-of cuda`` (the GPU rows' sizes) it estimates the GPU's
memory ratios on a machine without one.

    python benchmarks/overhead.py [--repeats 9] [--only tofd_ ...]
    python benchmarks/overhead.py --device cuda [--repeats 20]
    python benchmarks/overhead.py --memory tensors --memory-only \\
        --sizes-of cuda

Writes its table into ``benchmarks/results/overhead.md`` (each device's
table, and each ``--memory tensors`` table, between their own markers; the
notes around them stay).
Its parts are in ``benchmarks/_overhead/`` (rows, steps and timings,
memory).
"""
import argparse
import json
import os
import os.path as osp
import platform
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
from benchmarks._common import load_average, write_section  # noqa: E402
from benchmarks._overhead.memory import memory_ratios  # noqa: E402
from benchmarks._overhead.memory import peak_memory  # noqa: E402
from benchmarks._overhead.rows import DEFAULT_CONFIGS, discover  # noqa: E402
from benchmarks._overhead.steps import timings  # noqa: E402


def machine(device: str) -> str:
    import torch
    if device == 'cuda':
        return (f'{torch.cuda.get_device_name()}, torch {torch.__version__}'
                f', CUDA {torch.version.cuda}, cuDNN '
                f'{torch.backends.cudnn.version()}')
    return (f'{platform.machine()}, {os.cpu_count()} CPU cores, '
            f'{platform.platform()}, torch {torch.__version__}, CPU only')


def _clone_arg(value: str):
    return {'true': True, 'false': False, 'auto': 'auto'}[value.lower()]


def results_section(args: argparse.Namespace) -> str:
    """Name of the section of ``--out`` a run writes (``cpu``,
    ``cpu-memory-clone-auto``, ``cpu-tensors-recompute``, ...): one per
    kind of run, so that a memory-only run never replaces the timed table
    of the same device."""
    kind = [args.memory] if args.memory != 'device' else \
        (['memory'] if args.memory_only else [])
    clone = [] if args.record_clone is None else \
        [f'clone-{str(args.record_clone).lower()}']
    recompute = ['recompute'] if args.connector_recompute else []
    return '-'.join([args.device, *kind, *clone, *recompute])


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--configs', nargs='+', default=list(DEFAULT_CONFIGS),
        help='distiller configs (globs, relative to the '
        'repository); default: %(default)s')
    parser.add_argument('--only', nargs='*', default=None,
                        help='rows whose config name contains one of these')
    parser.add_argument('--repeats', type=int, default=7,
                        help='rounds (medians are taken over them)')
    parser.add_argument('--block', type=int, default=2,
                        help='runs of each step per round; the last is timed')
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument(
        '--batch', type=int, default=None,
        help='batch size of every row (default: the task\'s'
        ', TASKS)')
    parser.add_argument('--size', type=int, default=None,
                        help='input size of every row (default: the task\'s)')
    parser.add_argument(
        '--sizes-of', default=None, choices=('cpu', 'cuda'),
        help='take the tasks\' batch and input sizes of this '
        'device (default: --device); e.g. --memory tensors '
        '--sizes-of cuda on CPU')
    parser.add_argument(
        '--memory', default='device', choices=('device', 'tensors'),
        help='device: resident set on CPU, allocated on '
        'CUDA; tensors: bytes of live tensors (any device)')
    parser.add_argument('--memory-only', action='store_true',
                        help='measure memory only (no timings)')
    parser.add_argument(
        '--record-clone', type=_clone_arg, default=None,
        help='every recorder\'s clone option (true, false, '
        'auto); default: the configs\'')
    parser.add_argument(
        '--connector-recompute', action='store_true',
        help='connectors that offer it recompute their '
        'activations in backward (OFD: recompute_connectors)')
    parser.add_argument(
        '--out', default=osp.join(REPO, 'benchmarks', 'results',
                                  'overhead.md'))
    parser.add_argument(
        '--section', default=None,
        help='table markers in --out (default: the device'
        ', -tensors with --memory tensors, -clone-MODE with '
        '--record-clone, -recompute with --connector-recompute)')
    args = parser.parse_args(argv)
    import torch
    options = dict(record_clone=args.record_clone,
                   recompute=args.connector_recompute)
    torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', 2)))
    rows = discover(args.configs, args.sizes_of or args.device, args.only,
                    args.batch, args.size)
    unit = {
        'device': 'MiB allocated' if args.device == 'cuda' else 'MiB RSS',
        'tensors': 'MiB of live tensors'
    }[args.memory]
    memory_cells = (f'peak {unit} (+ over the built models): distill / '
                    'student step with teacher fwd | modules peak increment '
                    '| memory ratio | plumbing memory ratio |')
    if args.memory_only:
        header = '| config | batch x input | ' + memory_cells
        ncols = 6
    else:
        header = ('| config | batch x input | distill (ms) | student (ms) | '
                  'teacher fwd (ms) | modules (ms) | total ratio | '
                  'overhead ratio | ' + memory_cells)
        ncols = 12
    lines = [header, '|' + '---|' * ncols]
    loads = [load_average()]
    for row in rows:
        cells = [f'`{row.config}`', f'{row.batch} x {row.size}']
        if not args.memory_only:
            t = timings(row, args.repeats, args.device, args.block, options)
            cells += [
                f'{1e3 * t["distill"]:.1f}', f'{1e3 * t["student"]:.1f}',
                f'{1e3 * t["teacher"]:.1f}', f'{1e3 * t["modules"]:.1f}',
                f'{t["total_ratio"]:.3f}', f'{t["overhead_ratio"]:.3f}'
            ]
        mem = peak_memory(row, 3 if args.memory == 'device' else 1,
                          args.device, args.memory, options)
        d, b, m = mem['distill'], mem['base'], mem['modules']
        ratio, plumbing = memory_ratios(mem)
        cells += [
            f'{d["peak"]:.0f} (+{d["peak"] - d["built"]:.0f}) / '
            f'{b["peak"]:.0f} (+{b["peak"] - b["built"]:.0f})',
            f'{m["increment"]:.0f}', f'{ratio:.3f}', f'{plumbing:.3f}'
        ]
        line = '| ' + ' | '.join(cells) + ' |'
        loads.append(load_average())
        print(line, json.dumps(mem), flush=True)
        lines.append(line)
    command = 'python benchmarks/overhead.py'
    if args.device == 'cuda':
        command += ' --device cuda'
    if not args.memory_only:
        command += f' --repeats {args.repeats}'
    if args.block != 2:
        command += f' --block {args.block}'
    if args.sizes_of and args.sizes_of != args.device:
        command += f' --sizes-of {args.sizes_of}'
    for flag in ('batch', 'size'):
        if getattr(args, flag) is not None:
            command += f' --{flag} {getattr(args, flag)}'
    if args.memory != 'device':
        command += f' --memory {args.memory}'
    if args.memory_only:
        command += ' --memory-only'
    if args.record_clone is not None:
        command += f' --record-clone {str(args.record_clone).lower()}'
    if args.connector_recompute:
        command += ' --connector-recompute'
    if list(args.configs) != list(DEFAULT_CONFIGS):
        command += ' --configs ' + ' '.join(args.configs)
    if args.only:
        command += ' --only ' + ' '.join(args.only)
    threads = '' if args.device == 'cuda' else \
        f' (OMP_NUM_THREADS={torch.get_num_threads()})'
    text = '\n'.join([
        f'Command: `{command}`{threads}. Machine: {machine(args.device)}. '
        f'Load average (1 / 5 / 15 min) before the first row and after each:'
        f' {"; ".join(loads)}.', '', *lines
    ])
    section = args.section or results_section(args)
    write_section(args.out, f'{section} table', text, 'benchmarks/overhead.py',
                  heading='# Overhead of distillation per training step\n')
    print(f'written {args.out}')
    return text


if __name__ == '__main__':
    main()

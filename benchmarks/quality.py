"""The demo's experiment over several seeds: mean +- std top-1 per method on
the full Fashion-MNIST test set, written to
``benchmarks/results/fashion_mnist.md``.

    python benchmarks/quality.py [--seeds 0 1 2] [demo options...]

One teacher (the demo's, seed 0, cached in ``work_dirs/demo/teacher``:
trained once if missing) serves every seed; per seed the plain student and
every method's student are trained through ``tools/train.py`` exactly as
``tools/demo.py`` does. About 9 minutes per seed on 2 CPU cores.
"""
import argparse
import os
import os.path as osp
import platform
import statistics
import sys

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/quality')
    parser.add_argument('--out', default=osp.join(
        REPO, 'benchmarks', 'results', 'fashion_mnist.md'))
    args, demo_args = parser.parse_known_args(argv)
    from mmfeatdistill.tools import demo
    per_method = {}
    for seed in args.seeds:
        results = demo.main(demo_args + [
            '--seed', str(seed), '--teacher-seed', '0', '--quiet',
            '--teacher-dir', osp.join(REPO, 'work_dirs', 'demo', 'teacher'),
            '--work-dir', osp.join(args.work_dir, f'seed{seed}')])
        for r in results:
            per_method.setdefault(r['name'], []).append(r['top1'])
    base = per_method['student (baseline)']
    lines = ['| model | top-1 mean ± std (%) | gain over baseline | '
             'ahead of baseline in |', '|---|---|---|---|']
    for name, accs in per_method.items():
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        row = f'| {name} | {statistics.mean(accs):.2f} ± {std:.2f} |'
        if name in ('teacher', 'student (baseline)'):
            row += ' | |'
        else:
            gain = statistics.mean(accs) - statistics.mean(base)
            ahead = sum(a > b for a, b in zip(accs, base))
            row += f' {gain:+.2f} | {ahead}/{len(accs)} seeds |'
        lines.append(row)
    text = '\n'.join([
        '# Fashion-MNIST distillation quality',
        '',
        f'Command: `python benchmarks/quality.py --seeds '
        f'{" ".join(map(str, args.seeds))} {" ".join(demo_args)}`. Machine: '
        f'{platform.machine()}, {os.cpu_count()} CPU cores, '
        f'{platform.platform()}.',
        '', *lines, ''])
    with open(args.out, 'w') as f:
        f.write(text)
    print(text)
    return text


if __name__ == '__main__':
    main()

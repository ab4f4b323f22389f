"""Measuring in every environment (stdlib and torch only): the steps'
times, their profile and their peak resident set."""
import importlib.util
import os.path as osp
import statistics
import time

from .pairs import REPO, STEPS


def detach_tree(value, requires_grad=False):
    """Detached copies of the tensors in ``value`` (floating-point ones
    require grad when ``requires_grad``)."""
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(
            requires_grad and value.is_floating_point())
    if isinstance(value, (list, tuple)):
        return type(value)(detach_tree(v, requires_grad) for v in value)
    if isinstance(value, dict):
        return type(value)(
            (k, detach_tree(v, requires_grad)) for k, v in value.items())
    return value


def randomize_bn(model, seed=0):
    """:func:`mmfeatdistill.testing.randomize_bn` (the teachers' BN weights
    drawn non-zero as a trained model's: OFD's margins are undefined for
    the zero-initialised last BNs of a fresh ResNet), the same draw in
    every framework, loaded from its file (torch only) without importing
    mmfeatdistill, which the peers' environments cannot."""
    path = osp.join(REPO, 'mmfeatdistill', 'testing', 'batchnorm.py')
    spec = importlib.util.spec_from_file_location('_mmfd_batchnorm', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.randomize_bn(model, seed)


def time_steps(steps, before, repeats, block=2):
    """overhead.py's scheme: per-step medians and per-round ratios."""
    keys = [k for k in STEPS if k in steps]
    for key in keys:  # warm-up
        for _ in range(2):
            before.get(key, lambda: None)()
            steps[key]()
    times = {k: [] for k in keys}
    for _ in range(repeats):
        for key in keys:
            for _ in range(block):
                before.get(key, lambda: None)()
                start = time.perf_counter()
                steps[key]()
            times[key].append(time.perf_counter() - start)
    result = {k: statistics.median(v) for k, v in times.items()}
    rounds = list(zip(*(times[k] for k in keys)))
    result['total_ratio'] = statistics.median(r[0] / (r[1] + r[2])
                                              for r in rounds)
    if 'modules' in times:
        result['overhead_ratio'] = statistics.median(
            r[0] / (r[1] + r[2] + r[3]) for r in rounds)
    return result


def profile_step(step, repeats=3, top=12):
    """The ops of ``step`` that take the most self CPU time, under
    ``torch.profiler`` (after 2 warm-up runs): ``[name, ms per step,
    calls per step]`` (the ``top`` first; every op when None), and the
    step's total self CPU ms."""
    import torch
    for _ in range(2):
        step()
    with torch.profiler.profile(
            activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for _ in range(repeats):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    ops = sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    return dict(
        total_ms=total / 1e3 / repeats,
        ops=[[e.key, e.self_cpu_time_total / 1e3 / repeats, e.count / repeats]
             for e in ops])


def _status(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def peak_rss(step, repeats=3):
    """Resident set after the build and its peak over ``repeats`` steps
    after a warm-up step (MiB)."""
    built = _status('VmRSS')
    step()
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    for _ in range(repeats):
        step()
    return dict(built=built / 2**20, peak=_status('VmHWM') / 2**20)

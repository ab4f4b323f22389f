"""Peak memory of the steps of ``benchmarks/overhead.py``, each mode in a
fresh process: the resident set (CPU), CUDA's allocated memory, or the
bytes of live tensors on any device (:class:`LiveTensorBytes`)."""
import ctypes
import json
import subprocess
import sys
import tempfile
from dataclasses import asdict
from typing import Optional, Sequence, Tuple

from .rows import REPO, Row
from .steps import build, make_steps


def _proc_status(field: str) -> int:
    """A field of /proc/self/status in KiB (VmRSS, VmHWM)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


class LiveTensorBytes:
    """Bytes of the tensors alive (storages made by the ops run inside it),
    and their peak: what CUDA's ``memory_allocated`` counts, measured the
    same way on any device (``--memory tensors``). Tensors made before
    entering (models, batch, records) are not counted."""

    def __init__(self) -> None:
        import weakref

        import torch
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils._pytree import tree_flatten
        from torch.utils.weak import WeakIdKeyDictionary
        tracker = self
        self.current = 0
        self.peak = 0
        seen = WeakIdKeyDictionary()

        def free(nbytes: int) -> None:
            tracker.current -= nbytes

        class Mode(TorchDispatchMode):

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                for t in tree_flatten(out)[0]:
                    if isinstance(t, torch.Tensor) and t.device.type != \
                            'meta':
                        storage = t.untyped_storage()
                        if storage in seen:
                            continue
                        seen[storage] = nbytes = storage.nbytes()
                        tracker.current += nbytes
                        tracker.peak = max(tracker.peak, tracker.current)
                        weakref.finalize(storage, free, nbytes)
                return out

        self._mode = Mode()

    def reset_peak(self) -> None:
        self.peak = self.current

    def __enter__(self) -> 'LiveTensorBytes':
        self._mode.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._mode.__exit__(*exc)


def _trim() -> None:
    """Hand the allocator's free memory back to the system (glibc), so that
    the resident set right before a step is what is in use."""
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def memory_worker(row: dict, mode: str, repeats: int, device: str = 'cpu',
                  memory: str = 'device',
                  options: Optional[dict] = None) -> None:
    """Print (JSON, MiB) the memory after the build and the peak over
    ``repeats`` steps of ``mode`` after a warm-up step: ``'distill'``, the
    distiller's step; ``'base'``, the student's training step with the
    teacher's no-grad forward in it (first, as the distiller runs it);
    ``'modules'``, the method's modules on records cut from the graphs (as
    ``modules`` is timed): there ``increment`` is the largest rise of a
    step's peak above the memory right before it (records in place).

    ``memory='device'``: the resident set (``VmHWM`` reset through
    ``/proc/self/clear_refs``) on CPU, ``torch.cuda.max_memory_allocated``
    on CUDA; ``'tensors'``: :class:`LiveTensorBytes` (tensors made by the
    steps)."""
    import torch
    row = Row(**row)
    with tempfile.TemporaryDirectory() as workdir:
        model, data, distill_optim, student_optim, method_optim = build(
            row, workdir, device, options)
    steps, before = make_steps(model, data, distill_optim, student_optim,
                               method_optim)
    step, prepare = steps[mode], before.get(mode, lambda: None)

    tracker = LiveTensorBytes() if memory == 'tensors' else None
    if tracker is not None:

        def current() -> int:
            return tracker.current

        def reset_peak() -> None:
            tracker.reset_peak()

        def peak() -> int:
            return tracker.peak
    elif device == 'cuda':

        def current() -> int:
            torch.cuda.synchronize()
            return torch.cuda.memory_allocated()

        def reset_peak() -> None:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

        def peak() -> int:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
    else:

        def current() -> int:
            return _proc_status('VmRSS') * 1024

        def reset_peak() -> None:
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # VmHWM := VmRSS

        def peak() -> int:
            return _proc_status('VmHWM') * 1024

    if tracker is not None:
        # the models and the batch count, as in CUDA's allocated memory
        storages = {
            t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()
            for t in [*model.parameters(), *model.buffers(), *data['inputs']]
        }
        tracker.current = tracker.peak = sum(storages.values())
        tracker.__enter__()
    try:
        built = current()
        prepare()
        step()  # warm-up: optimizer state, cuDNN workspaces
        peaks, increments = [], []
        if mode != 'modules':
            reset_peak()
        for _ in range(repeats):
            if mode == 'modules':
                prepare()
                _trim()
                start = current()
                reset_peak()
            step()
            if mode == 'modules':
                peaks.append(peak())
                increments.append(peaks[-1] - start)
        top = max(peaks) if peaks else peak()
    finally:
        if tracker is not None:
            tracker.__exit__(None, None, None)
    result = dict(built=built / 2**20, peak=top / 2**20)
    if increments:
        result['increment'] = max(increments) / 2**20
    print(json.dumps(result))


def peak_memory(
    row: Row, repeats: int, device: str = 'cpu', memory: str = 'device',
    options: Optional[dict] = None,
    modes: Sequence[str] = ('distill', 'base', 'modules')
) -> dict:
    """:func:`memory_worker` of each mode, each in a fresh process (run
    one after another, so that each has the machine to itself)."""
    result = {}
    for mode in modes:
        code = (f'import sys; sys.path.insert(0, {REPO!r}); '
                'from benchmarks._overhead.memory import memory_worker; '
                f'memory_worker({asdict(row)!r}, {mode!r}, {repeats}, '
                f'{device!r}, {memory!r}, {options!r})')
        proc = subprocess.run([sys.executable, '-c', code],
                              capture_output=True, text=True, cwd=REPO)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-3000:])
        result[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def memory_ratios(mem: dict) -> Tuple[float, float]:
    """``(memory ratio, plumbing memory ratio)``: distill peak / base peak,
    and distill peak / (base peak + the modules' peak increment)."""
    d, b = mem['distill']['peak'], mem['base']['peak']
    return d / b, d / (b + mem['modules']['increment'])

"""Reading checkpoints safely and writing them atomically.

Reading: every checkpoint is unpickled with ``torch.load(...,
weights_only=True)``. The types that OpenMMLab checkpoints hold besides
tensors and containers (MMEngine's ``HistoryBuffer`` in the message hub,
numpy arrays, scalars and dtypes) are allowed for each of our loads
(:data:`SAFE_GLOBALS`, added to torch's process-wide allow-list while
any of our loads runs, in any thread, and then removed, leaving the
entries others added);
anything else is refused with :class:`UntrustedCheckpointError`, which
names the type and the opt-in for a file the user trusts
(:func:`trust_checkpoints`, the config's ``trust_checkpoints = True`` or
``--trust-checkpoint``). Inside a :func:`safe_loaders` block, MMEngine's
``CheckpointLoader`` uses our loaders for local paths, ``http(s)://``,
``open-mmlab://``, ``torchvision://`` and ``mmcls://`` (MMEngine 0.10.7
loads URLs through ``torch.hub`` with ``weights_only=False``), so the
Runner's ``load_from``, ``resume`` and ``init_cfg`` checkpoints follow the
same rule; :class:`~mmfeatdistill.engine.hooks.SafeLoadingHook` opens that
block for a run (``before_run``) and closes it (``after_run``). Nothing is
changed when this module is imported: a process that imports
mmfeatdistill and does not run one of our configs keeps MMEngine's and
torch's own loading. ``s3://`` and ``pavi://`` keep MMEngine's loaders.

Writing: :func:`atomic_save` (and :func:`atomic_write_bytes` /
:func:`atomic_write_text`) write a temporary file in the target's folder,
``fsync`` it and ``os.replace`` it onto the target, so the target is always
either the old complete file or the new complete one.
"""
import contextvars
import glob
import logging
import os
import os.path as osp
import pickle
import re
import threading
import uuid
import warnings
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from typing import (Any, BinaryIO, Callable, ContextManager, Dict, Iterator,
                    List, Optional)
from urllib.error import URLError
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import (_get_mmengine_home,
                                        _process_mmcls_checkpoint,
                                        get_deprecated_model_names,
                                        get_external_models, get_mmcls_models,
                                        get_torchvision_models)
from torch import nn

_REMOTE_PREFIXES = ('http://', 'https://', 'open-mmlab://', 'openmmlab://',
                    'mmcls://', 'torchvision://', 'modelzoo://', 's3://',
                    'pavi://')

#: How to opt in, for error messages.
TRUST_HINT = (
    'If you trust this file, opt in to full unpickling: '
    '`trust_checkpoints = True` in the config (or `--cfg-options '
    'trust_checkpoints=True`), `--trust-checkpoint` on tools/train.py, '
    'tools/test.py and tools/export_student.py, or `with '
    'mmfeatdistill.utils.trust_checkpoints(): ...` in Python.')

#: Suffix of the temporary files of atomic writes (never ``.pth``).
PARTIAL_SUFFIX = '.partial'

# ---------------------------------------------------------------------------
# the allow-list


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what MMEngine's checkpoints use it for.

    ``HistoryBuffer.__getstate__`` stores its statistics methods, which
    pickle as ``getattr(HistoryBuffer, 'mean')``. This stands in for
    ``builtins.getattr`` during a weights-only load and resolves only those.
    """
    if obj is HistoryBuffer and name in ('min', 'max', 'current', 'mean'):
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr({obj!r}, {name!r}) was not an allowed '
        f'global by default.')


def _numpy_globals() -> List[Any]:
    """numpy arrays, scalars and dtypes, under numpy 2's names and numpy
    1's (``numpy.core``), which older checkpoints hold."""
    multiarray = np._core.multiarray if hasattr(np, '_core') \
        else np.core.multiarray
    items: List[Any] = [np.ndarray, np.dtype]
    # numpy >= 1.25: a dtype is an instance of its class in numpy.dtypes,
    # which the unpickler must be allowed to build
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        items += [
            cls for cls in vars(dtypes).values()
            if isinstance(cls, type) and issubclass(cls, np.dtype)
        ]
    for name in ('_reconstruct', 'scalar'):
        func = getattr(multiarray, name)
        items.append((func, f'numpy._core.multiarray.{name}'))
        items.append((func, f'numpy.core.multiarray.{name}'))
    return items


#: What OpenMMLab checkpoints hold besides tensors and containers (found by
#: saving Runner checkpoints of every method's config; see
#: tests/test_reliability/test_safe_loading.py). Reconstructing them runs no
#: code chosen by the file.
SAFE_GLOBALS: List[Any] = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
] + _numpy_globals()

_ALLOW_LIST_LOCK = threading.Lock()
#: [blocks inside :func:`_allow_listed`, the entries they added]
_ALLOW_LIST_STATE: List[Any] = [0, []]


@contextmanager
def _allow_listed() -> Iterator[None]:
    """:data:`SAFE_GLOBALS` on torch's allow-list for this block.

    Torch keeps one allow-list per process and
    :func:`torch.serialization.safe_globals` removes its entries when its
    block ends, even from a load another thread is running (``quality.py
    --jobs 2`` checks both stages' checkpoints at once) or entries the user
    had added. Here the first block to enter adds only the entries that
    are missing, the blocks of all threads share them, and the last one to
    leave removes only those; the loads themselves run side by side.
    """
    serialization = torch.serialization
    with _ALLOW_LIST_LOCK:
        if _ALLOW_LIST_STATE[0] == 0:
            present = serialization.get_safe_globals()
            added = [g for g in SAFE_GLOBALS if g not in present]
            serialization.add_safe_globals(added)
            _ALLOW_LIST_STATE[1] = added
        _ALLOW_LIST_STATE[0] += 1
    try:
        yield
    finally:
        with _ALLOW_LIST_LOCK:
            _ALLOW_LIST_STATE[0] -= 1
            if _ALLOW_LIST_STATE[0] == 0:
                added = _ALLOW_LIST_STATE[1]
                kept = [
                    g for g in serialization.get_safe_globals()
                    if g not in added
                ]
                serialization.clear_safe_globals()
                serialization.add_safe_globals(kept)
                _ALLOW_LIST_STATE[1] = []


# ---------------------------------------------------------------------------
# the opt-in

_TRUSTED: contextvars.ContextVar = contextvars.ContextVar(
    'mmfeatdistill_trusted_checkpoints', default=False)


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a type outside the allow-list: unpickling it could
    run code from the file. Opt in with :func:`trust_checkpoints` (config:
    ``trust_checkpoints = True``; CLI: ``--trust-checkpoint``)."""


@contextmanager
def trust_checkpoints(enabled: bool = True) -> Iterator[None]:
    """Load checkpoints with full unpickling (``weights_only=False``) in
    this block, for files the user trusts.

    The choice holds for the current thread (a :mod:`contextvars` variable),
    not the process, and is undone when the block ends.

    Args:
        enabled (bool): False leaves loading safe (handy for
            ``with trust_checkpoints(cfg.get('trust_checkpoints', False))``).
            Defaults to True.
    """
    token = _TRUSTED.set(bool(enabled) or _TRUSTED.get())
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def trusted_checkpoint_loading() -> ContextManager[None]:
    """Deprecated name of :func:`trust_checkpoints` (``enabled=True``).

    Runner checkpoints load without it now; it only opts in to full
    unpickling, for files you trust.
    """
    warnings.warn(
        'trusted_checkpoint_loading() is deprecated: Runner checkpoints load '
        'safely without it; use mmfeatdistill.utils.trust_checkpoints() '
        'only for files you trust.', DeprecationWarning, stacklevel=2)
    return trust_checkpoints(True)


def checkpoints_trusted() -> bool:
    """Whether the current block opted in to full unpickling."""
    return bool(_TRUSTED.get())


# ---------------------------------------------------------------------------
# loading


def _refused_types(path: Optional[str], err: Exception) -> List[str]:
    """The names that made a weights-only load fail; empty when the failure
    is not about a refused type (e.g. a file that is no checkpoint)."""
    names: List[str] = []
    if path is not None and zipfile.is_zipfile(path):
        try:
            with _allow_listed():
                names = sorted(
                    torch.serialization.get_unsafe_globals_in_checkpoint(path))
        except Exception:  # noqa: BLE001 - only for the message
            names = []
    message = str(err)
    if not names:
        names = re.findall(r'GLOBAL (\S+?(?:\([^)]*\))?) (?:was not|whose)',
                           message)
    if not names:
        names = re.findall(r'unrecognized function (.+?)(?: which|$)', message,
                           flags=re.M)
    if not names:
        names = re.findall(r'but got (<class [^>]+>)', message)
    return list(dict.fromkeys(names))


class UnreadableCheckpointError(RuntimeError):
    """A checkpoint file that is not a checkpoint (empty, a web page, cut
    short)."""


def _check_readable(path: str, source: str) -> None:
    """Name the usual ways a file is not a checkpoint before torch does
    (``EOFError``, ``invalid load key '<'``, a zip-reader error).

    Raises:
        UnreadableCheckpointError: the file is empty, an HTML/XML page or
            not a torch file at all.
    """
    if not osp.isfile(path):
        return
    with open(path, 'rb') as f:
        head = f.read(512)
    if not head:
        raise UnreadableCheckpointError(
            f'Checkpoint {source!r} is empty (0 bytes): an interrupted '
            f'download or copy. Download or copy it again.')
    text = head.lstrip().lower()
    if text.startswith((b'<!doctype', b'<html', b'<?xml', b'<head')):
        raise UnreadableCheckpointError(
            f'Checkpoint {source!r} is a web page (HTML), not a checkpoint: '
            f'the download returned a page (a login, an error or a '
            f'redirect). Download the .pth file itself, e.g. with the '
            f'direct link of the model zoo.')
    if not head.startswith((b'PK\x03\x04', b'\x80')):
        raise UnreadableCheckpointError(
            f'Checkpoint {source!r} is not a PyTorch file (it starts with '
            f'{head[:16]!r}). Give the path of a .pth checkpoint.')


def _torch_load(path: Any, source: str, **kwargs) -> Any:
    """``torch.load``, weights-only unless trusted; a file cut short is an
    :class:`UnreadableCheckpointError` naming it."""
    trusted = checkpoints_trusted()
    try:
        if trusted:
            return torch.load(path, weights_only=False, **kwargs)
        with _allow_listed():
            return torch.load(path, weights_only=True, **kwargs)
    except pickle.UnpicklingError:
        raise
    except (RuntimeError, EOFError, OSError) as err:
        if not isinstance(path, str) or isinstance(err, FileNotFoundError):
            raise
        first = str(err).splitlines()[0][:200] if str(err) else ''
        raise UnreadableCheckpointError(
            f'Checkpoint {source!r} cannot be read ({type(err).__name__}: '
            f'{first}): the file is cut short or corrupt (a killed write, '
            f'an interrupted download or copy). Use an intact copy; for '
            f'--resume without a path the newest loadable checkpoint of the '
            f'work dir is used.') from err


def load_checkpoint_file(path: Any, map_location: Any = None,
                         source: Optional[str] = None,
                         mmap: Optional[bool] = None) -> Any:
    """``torch.load`` a local file (or a binary file object) safely.

    ``weights_only=True`` with the allow-list, unless the caller is inside
    :func:`trust_checkpoints`.

    Args:
        path (str | file): The file.
        map_location: As :func:`torch.load`.
        source (str, optional): Name for messages (e.g. the URL the file
            was downloaded from). Defaults to ``path``.
        mmap (bool, optional): As :func:`torch.load`.

    Raises:
        UntrustedCheckpointError: the file holds a type outside the
            allow-list (the message names it and the opt-in).
    """
    source = str(path) if source is None else source
    kwargs = dict(map_location=map_location)
    if mmap is not None:
        kwargs['mmap'] = mmap
    if isinstance(path, str):
        _check_readable(path, source)
    try:
        return _torch_load(path, source, **kwargs)
    except pickle.UnpicklingError as err:
        names = _refused_types(path if isinstance(path, str) else None, err)
        if not names:
            raise
        raise UntrustedCheckpointError(
            f'Refused to unpickle the checkpoint {source!r}: it holds '
            f'{", ".join(names)}, outside the types that OpenMMLab '
            f'checkpoints hold (tensors, containers, numpy arrays and '
            f'scalars, MMEngine\'s HistoryBuffer); unpickling it could run '
            f'code from the file. {TRUST_HINT}') from None


def _load_from_local(filename: str, map_location: Any = None) -> Any:
    """MMEngine's local scheme (``''``), loading safely."""
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return load_checkpoint_file(filename, map_location)


def _download(url: str, model_dir: Optional[str] = None) -> str:
    """The cached copy of ``url`` in torch's hub folder (downloaded once,
    atomically by torch)."""
    if model_dir is None:
        model_dir = osp.join(torch.hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    if not osp.exists(cached):
        print_log(f'Downloading {url} to {cached}', logger='current')
        torch.hub.download_url_to_file(url, cached, progress=False)
    return cached


def _load_from_http(filename: str, map_location: Any = None,
                    model_dir: Optional[str] = None) -> Any:
    """MMEngine's ``http://`` / ``https://`` scheme, loading safely (MMEngine
    0.10.7's goes through ``torch.hub`` with ``weights_only=False``).
    Distributed: local rank 0 downloads first, as MMEngine does."""
    rank, world_size = get_dist_info()
    if rank == 0:
        cached = _download(filename, model_dir)
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            cached = _download(filename, model_dir)
    return load_checkpoint_file(cached, map_location, source=filename)


def _load_from_torchvision(filename: str, map_location: Any = None) -> Any:
    name = filename.split('://', 1)[1]
    return _load_from_http(get_torchvision_models()[name], map_location)


def _load_from_openmmlab(filename: str, map_location: Any = None) -> Any:
    name = filename.split('://', 1)[1]
    name = get_deprecated_model_names().get(name, name)
    url = get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return _load_from_http(url, map_location)
    path = osp.join(_get_mmengine_home(), url)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} can not be found.')
    return load_checkpoint_file(path, map_location, source=filename)


def _load_from_mmcls(filename: str, map_location: Any = None) -> Any:
    name = filename.split('://', 1)[1]
    return _process_mmcls_checkpoint(
        _load_from_http(get_mmcls_models()[name], map_location))


_load_from_local.__name__ = 'load_from_local'  # MMEngine logs [10:]
_load_from_http.__name__ = 'load_from_http'
_load_from_torchvision.__name__ = 'load_from_torchvision'
_load_from_openmmlab.__name__ = 'load_from_openmmlab'
_load_from_mmcls.__name__ = 'load_from_mmcls'
#: The ``CheckpointLoader`` schemes our loaders take over in
#: :func:`safe_loaders`.
SAFE_SCHEMES = (
    ('', _load_from_local),
    (('http://', 'https://'), _load_from_http),
    (('modelzoo://', 'torchvision://'), _load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), _load_from_openmmlab),
    ('mmcls://', _load_from_mmcls),
)


@contextmanager
def safe_loaders() -> Iterator[None]:
    """Inside this block MMEngine's ``CheckpointLoader`` reads local
    paths and model-zoo URLs with our weights-only loaders; after it,
    MMEngine's loaders are back. Nested blocks install once.

    MMEngine 0.10.7 registers schemes publicly
    (``CheckpointLoader.register_scheme``) but has no public way to read or
    remove one, so the loaders it had are saved from, and put back into,
    its private ``CheckpointLoader._schemes`` (tested in
    tests/test_reliability/test_safe_loading.py). A block inside another,
    or after a run that stopped with an exception (its ``after_run`` never
    came), finds our loaders in place and leaves them as they are.
    """
    if CheckpointLoader._schemes.get('') is _load_from_local:
        yield
        return
    saved = CheckpointLoader._schemes.copy()
    for prefixes, loader in SAFE_SCHEMES:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)
    try:
        yield
    finally:
        CheckpointLoader._schemes = saved


def is_remote(filename: str) -> bool:
    return str(filename).startswith(_REMOTE_PREFIXES)


def read_checkpoint(filename: str, role: str = 'teacher',
                    trust: Optional[bool] = None) -> dict:
    """Read a checkpoint file or URL (read only: the file is never written).

    Args:
        filename (str): Local path or URL (``open-mmlab://`` etc.).
        role (str): For messages (``'teacher'`` -> ``model.teacher_ckpt``).
        trust (bool, optional): True: full unpickling for this file (the
            user trusts it). None (default): as the enclosing
            :func:`trust_checkpoints` block says (safe outside one).

    Raises:
        FileNotFoundError: a local path that does not exist.
        RuntimeError: a URL that cannot be reached; the message suggests
            downloading it elsewhere and giving a local path.
        UntrustedCheckpointError: the file holds a type outside the
            allow-list.
    """
    if not is_remote(filename) and not os.path.isfile(filename):
        raise FileNotFoundError(
            f'{role} checkpoint {filename!r} does not exist. Give the path of '
            f'a checkpoint file (or a model-zoo URL).')
    try:
        with trust_checkpoints(bool(trust)), safe_loaders():
            return CheckpointLoader.load_checkpoint(filename,
                                                    map_location='cpu')
    except (URLError, OSError, ConnectionError) as err:
        if not is_remote(filename):
            raise
        raise RuntimeError(
            f'Cannot download the {role} checkpoint {filename!r} ({err}). '
            f'This machine may have no access to it: download the file where '
            f'you can and set `{role}_ckpt` to its local path, e.g. '
            f"--cfg-options model.{role}_ckpt=/path/to/"
            f"{os.path.basename(str(filename)) or 'checkpoint.pth'}") from err


def extract_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint, without a DDP ``module.`` prefix."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise TypeError('The checkpoint holds no state dict.')
    return OrderedDict((k[7:] if k.startswith('module.') else k, v)
                       for k, v in state_dict.items())


def _preview(keys, limit: int = 10) -> str:
    keys = sorted(keys)
    more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_strict(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                source: str, role: str = 'teacher') -> None:
    """Load ``state_dict`` into ``model``; any missing/unexpected key or shape
    mismatch is an error listing them (never a silent partial load)."""
    own = model.state_dict()
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items()
        if k in own and hasattr(v, 'shape') and v.shape != own[k].shape
    ]
    missing = set(own) - set(state_dict)
    unexpected = set(state_dict) - set(own)
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f'missing keys ({len(missing)}): {_preview(missing)}')
        if unexpected:
            parts.append(
                f'unexpected keys ({len(unexpected)}): {_preview(unexpected)}')
        if mismatched:
            parts.append(f'shape mismatches: {"; ".join(mismatched[:10])}')
        raise KeyError(
            f'The {role} checkpoint {source!r} does not fit the {role} model '
            f'({type(model).__name__}): ' + '; '.join(parts) + '. Check that '
            f'the {role} config is the one the checkpoint was trained with.')
    model.load_state_dict(state_dict, strict=True)


# ---------------------------------------------------------------------------
# atomic writes


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file
    system lets a folder be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: str, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a temporary file next to ``path``, fsync it and
    rename it onto ``path``; on any error the temporary file is removed and
    ``path`` is untouched."""
    path = os.fspath(path)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(
        folder, f'.{osp.basename(path)}.{uuid.uuid4().hex[:8]}'
        f'{PARTIAL_SUFFIX}')
    try:
        with open(tmp, 'xb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def write_all(f: BinaryIO, data: bytes) -> None:
    """``f.write(data)``; the single place the bytes of atomic writes go
    through (tests interrupt it to simulate a kill in the middle)."""
    f.write(data)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same
    folder, fsync, ``os.replace``).

    Args:
        data (bytes): The content.
        path (str): The target file.
    """
    _atomic_write(path, lambda f: write_all(f, data))


def atomic_write_text(text: str, path: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` encoded as UTF-8."""
    atomic_write_bytes(text.encode('utf-8'), path)


def atomic_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)``, atomically: a reader (or a resumed run)
    never sees a half-written file, even when the process is killed.

    Args:
        obj: What to save.
        path (str): The target file; its folder is created if missing.
    """
    _atomic_write(path, lambda f: torch.save(obj, f))


def remove_partial_files(folder: str) -> List[str]:
    """Delete the temporary files that killed atomic writes left in
    ``folder``; returns their paths."""
    removed = []
    for path in glob.glob(osp.join(glob.escape(folder),
                                   f'.*{PARTIAL_SUFFIX}')):
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed


# ---------------------------------------------------------------------------
# choosing the checkpoint to resume from


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None when it can.

    Reads the file (memory-mapped, weights-only unless trusted) and checks
    that it is a Runner checkpoint (``meta`` with ``iter``, ``state_dict``).

    Raises:
        UntrustedCheckpointError: the file is complete but holds a type
            outside the allow-list (never skipped silently).
    """
    if not osp.isfile(path):
        return 'missing'
    if osp.getsize(path) == 0:
        return 'empty'
    try:
        checkpoint = load_checkpoint_file(path, 'cpu', mmap=True)
    except UntrustedCheckpointError:
        raise
    except Exception as err:  # noqa: BLE001 - any read error disqualifies
        return f'unloadable, truncated or corrupt ({type(err).__name__}: ' \
               f'{str(err).splitlines()[0][:200] if str(err) else ""})'
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint \
            or not isinstance(checkpoint.get('meta'), dict) \
            or 'iter' not in checkpoint['meta']:
        return 'not a training checkpoint (no meta.iter / state_dict)'
    return None


class ResumeFallbackWarning(UserWarning):
    """``--resume`` picked another checkpoint than ``last_checkpoint``."""


def _candidates(folder: str) -> List[str]:
    """``*.pth`` in ``folder`` (best_* excluded), newest first."""
    paths = [
        p for p in glob.glob(osp.join(glob.escape(folder), '*.pth'))
        if not osp.basename(p).startswith('best_') and osp.isfile(p)
    ]
    return sorted(paths, key=lambda p: (os.stat(p).st_mtime_ns, p),
                  reverse=True)


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` (without a path) continues from.

    ``last_checkpoint``'s file when it loads; otherwise the newest loadable
    ``*.pth`` of its folder (and the work dir), with a
    :class:`ResumeFallbackWarning` naming both. None when the work dir has
    neither ``last_checkpoint`` nor a checkpoint (a new run).

    Args:
        work_dir (str): The run's work dir.

    Raises:
        FileNotFoundError: there are checkpoints (or ``last_checkpoint``)
            but none of them can be resumed from.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    named = None
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip() or None
    problem = None
    if named is not None:
        problem = checkpoint_problem(named)
        if problem is None:
            return named
    folders = [osp.dirname(named)] if named else []
    folders = [f for f in folders if osp.isdir(f)] + [work_dir]
    seen, rejected = set(), []
    for folder in folders:
        for path in _candidates(folder):
            key = osp.realpath(path)
            if key in seen or (named and key == osp.realpath(named)):
                continue
            seen.add(key)
            why = checkpoint_problem(path)
            if why is None:
                warnings.warn(
                    (f'last_checkpoint in {work_dir} names {named!r}, which '
                     f'is {problem}; resuming from {path!r} instead, the '
                     f'newest loadable checkpoint.') if named else
                    (f'{work_dir} has no last_checkpoint file; resuming '
                     f'from {path!r}, the newest loadable checkpoint.'),
                    ResumeFallbackWarning, stacklevel=2)
                print_log(
                    f'--resume: {path} (last_checkpoint: {named}, '
                    f'{problem})', logger='current', level=logging.WARNING)
                return path
            rejected.append(f'{path} ({why})')
    if named is None and not rejected:
        return None
    raise FileNotFoundError(
        f'--resume: nothing to resume from in {work_dir}: ' +
        (f'last_checkpoint names {named!r}, which is {problem}; '
         if named else 'no last_checkpoint file; ') +
        ('the other checkpoints cannot be loaded either: ' +
         '; '.join(rejected)
         if rejected else 'there is no other checkpoint (*.pth)') +
        '. Resume from a given file with `--resume PATH`, or start '
        'again without --resume (or in another --work-dir).')

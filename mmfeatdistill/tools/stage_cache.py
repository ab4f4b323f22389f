"""Stages of the main job and of the quality benchmark that survive
interruptions.

Each stage (a ``tools/*.py`` run of one config with its options) gets an
entry in a cache outside the work tree (default
``~/.cache/mmfeatdistill/stages``, or ``$MMFD_STAGE_CACHE``), named by a key
of what determines its weights: the model, the training data (its config
and the content of the files it reads), the schedule, the optimizer, the
seed, the initialisation (``load_from`` and teacher checkpoints by
content; a checkpoint another stage of the demo makes by that stage's key,
``stage:<key>``, see ``StageOutput`` in :mod:`mmfeatdistill.tools.demo`),
the device with its thread count and the torch version. Hooks, logging,
checkpoint intervals and work dirs stay out of the key, except hooks whose
class declares ``changes_weights = True`` (e.g. a connector warm-up) and
other packages' hooks that do not declare ``changes_weights = False``, so
moving a hook or changing the log interval keeps every cached stage valid.
The code itself is not in the key: after changing a method's code, run with
a fresh cache (``--no-cache`` or another ``$MMFD_STAGE_CACHE``).

An entry holds the stage's work dir (its checkpoints, logs and the files
it writes) and, once the stage has finished, ``stage.json`` (its result,
written atomically). A stage that was interrupted resumes from its latest
checkpoint (``tools/train.py --resume``), which continues exactly as the
uninterrupted run (``ExactResumeEpochBasedTrainLoop``, ``RNGStateHook``).
A :class:`StageLedger` keeps finished stages' results (not their weights)
in a file that can be committed, for runs that outlive a machine.
"""
import argparse
import fcntl
import hashlib
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from mmengine.config import Config, DictAction

#: Top-level config entries that determine a stage's weights.
WEIGHT_ENTRIES = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper',
                  'param_scheduler', 'randomness', 'load_from',
                  'auto_scale_lr', 'custom_hooks')
#: Files larger than this are fingerprinted by size and their first and
#: last bytes (a data set of large archives is not read whole).
_WHOLE_FILE_BYTES = 8 << 20
_EDGE_BYTES = 1 << 20


def default_root() -> str:
    """``$MMFD_STAGE_CACHE``, else ``~/.cache/mmfeatdistill/stages``."""
    return os.environ.get('MMFD_STAGE_CACHE') or osp.join(
        os.environ.get('XDG_CACHE_HOME') or osp.expanduser('~/.cache'),
        'mmfeatdistill', 'stages')


def resolve_config(config: str, options: Sequence[str]) -> Config:
    """The config as ``tools/*.py CONFIG --cfg-options OPTIONS`` sees it."""
    cfg = Config.fromfile(config)
    if options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--cfg-options', nargs='+', action=DictAction)
        cfg.merge_from_dict(
            parser.parse_args(['--cfg-options', *options]).cfg_options)
    return cfg


#: path -> (its stat's inode, size and modification time, fingerprint):
#: a file read once per process while it stays the same (the data folder
#: is in every stage's keys).
_FINGERPRINTS: Dict[str, tuple] = {}


def file_fingerprint(path: str) -> str:
    """sha256 of a file's content (of its size and first and last MiB when
    it is larger than 8 MiB); read again only when the file's inode, size
    or modification time changed since the last call in this process."""
    stat = os.stat(path)
    seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    known = _FINGERPRINTS.get(path)
    if known is not None and known[0] == seen:
        return known[1]
    digest = hashlib.sha256()
    size = stat.st_size
    digest.update(str(size).encode())
    with open(path, 'rb') as f:
        if size <= _WHOLE_FILE_BYTES:
            for block in iter(lambda: f.read(1 << 20), b''):
                digest.update(block)
        else:
            digest.update(f.read(_EDGE_BYTES))
            f.seek(size - _EDGE_BYTES)
            digest.update(f.read(_EDGE_BYTES))
    _FINGERPRINTS[path] = (seen, digest.hexdigest())
    return _FINGERPRINTS[path][1]


def folder_fingerprint(path: str) -> str:
    """sha256 of every file under ``path`` (relative path and
    :func:`file_fingerprint`); hidden files and folders are left out."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for name in sorted(f for f in files if not f.startswith('.')):
            full = osp.join(root, name)
            digest.update(osp.relpath(full, path).encode())
            digest.update(file_fingerprint(full).encode())
    return digest.hexdigest()


def _hook_changes_weights(hook: Any) -> bool:
    """Whether a ``custom_hooks`` entry may change what training produces:
    what its class declares (``changes_weights``); our hooks without the
    declaration do not; another package's hook (an EMA, a pipeline switch)
    or one that cannot be found counts."""
    import mmfeatdistill.engine  # noqa: F401 (registers our hooks)
    from mmfeatdistill.registry import HOOKS
    kind = hook.get('type') if isinstance(hook, dict) else type(hook)
    cls = HOOKS.get(kind) if isinstance(kind, str) else kind
    if cls is None:
        return True
    if hasattr(cls, 'changes_weights'):
        return bool(cls.changes_weights)
    return not cls.__module__.startswith('mmfeatdistill.')


#: Epoch-based loops that train the same weights (ours resumes exactly).
_EPOCH_LOOPS = ('EpochBasedTrainLoop', 'ExactResumeEpochBasedTrainLoop')


def _plain_loop(train_cfg: dict) -> dict:
    """``train_cfg`` with an epoch-based loop's ``type`` written as
    ``by_epoch=True`` (a loop named in the config or chosen by
    ``tools/train.py`` trains the same weights)."""
    kind = str(train_cfg.get('type', '')).split('.')[-1]
    if kind not in _EPOCH_LOOPS:
        return train_cfg
    plain = {k: v for k, v in train_cfg.items() if k != 'type'}
    plain['by_epoch'] = True
    return plain


class _Fingerprinter:
    """Replaces the paths in config values by what they hold: files and
    folders by their fingerprints, paths inside the work dir by their place
    in it (an entry's work dir is its own)."""

    def __init__(self, work_dir: Optional[str]) -> None:
        self.work_dir = osp.abspath(work_dir) if work_dir else None
        self.seen: Dict[str, str] = {}

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): self(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self(v) for v in value]
        if not isinstance(value, str) or not value:
            return value
        path = osp.abspath(value)
        if self.work_dir and (path == self.work_dir
                              or path.startswith(self.work_dir + os.sep)):
            return '{work_dir}' + path[len(self.work_dir):]
        if path not in self.seen:
            if osp.isfile(path):
                self.seen[path] = 'file:' + file_fingerprint(path)
            elif osp.isdir(path) and path != osp.abspath(os.sep):
                self.seen[path] = 'folder:' + folder_fingerprint(path)
            else:
                self.seen[path] = value
        return self.seen[path]


def _entries(cfg: Config, entries: Sequence[str], fingerprint: _Fingerprinter,
             adjust: Callable[[str, Any], Any]) -> dict:
    """``entry -> fingerprinted value`` of ``cfg``'s ``entries``, each first
    passed through ``adjust(entry, value)``."""
    payload = {}
    for entry in entries:
        value = cfg.get(entry)
        if hasattr(value, 'to_dict'):
            value = value.to_dict()
        payload[entry] = fingerprint(adjust(entry, value))
    return payload


def _digest(payload: dict) -> str:
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _weight_value(entry: str, value: Any) -> Any:
    if entry == 'custom_hooks' and value:
        return [h for h in value if _hook_changes_weights(h)]
    if entry == 'train_cfg' and isinstance(value, dict):
        return _plain_loop(value)
    return value


def weight_key(cfg: Config, device: str = 'cpu', threads: str = None,
               extra: Sequence[str] = (),
               fingerprint: Optional[_Fingerprinter] = None) -> tuple:
    """The key of a stage: sha256 of what determines its weights.

    Args:
        cfg (Config): The stage's config, options applied
            (:func:`resolve_config`).
        device (str): ``'cpu'`` or ``'cuda'`` (with the GPU's name).
        threads (str, optional): The thread count the stage runs with
            (floating-point sums, hence the weights, depend on it); default
            ``$OMP_NUM_THREADS``.
        extra (Sequence[str]): Anything else the caller wants in the key
            (e.g. the script that trains the stage).
        fingerprint (optional): The files and folders read so far (see
            :func:`stage_keys`); default a new one.

    Returns:
        tuple[str, dict]: The key and what it was computed from.
    """
    import torch
    fingerprint = fingerprint or _Fingerprinter(cfg.get('work_dir'))
    payload = _entries(cfg, WEIGHT_ENTRIES, fingerprint, _weight_value)
    payload.update(
        device=device, torch=torch.__version__, extra=list(extra),
        threads=threads if threads is not None else os.environ.get(
            'OMP_NUM_THREADS', ''))
    return _digest(payload), payload


#: Config entries that determine what a stage's metrics measure.
EVAL_ENTRIES = ('val_dataloader', 'val_evaluator', 'val_cfg',
                'test_dataloader', 'test_evaluator', 'test_cfg')
#: Loader settings that change how fast, not what, is evaluated.
_LOADER_RUNTIME = ('num_workers', 'persistent_workers', 'pin_memory',
                   'prefetch_factor')


def _eval_value(entry: str, value: Any) -> Any:
    if isinstance(value, dict) and entry.endswith('_dataloader'):
        return {k: v for k, v in value.items() if k not in _LOADER_RUNTIME}
    return value


def eval_key(cfg: Config, fingerprint: Optional[_Fingerprinter] = None) -> str:
    """sha256 of what a stage's validation and test metrics measure: the
    val/test data (by content), pipelines, subsets, evaluators and loops,
    not the loaders' worker settings. A cached result whose evaluation key
    differs is evaluated again on its cached weights.

    Args:
        cfg (Config): The stage's config, options applied.
        fingerprint (optional): The files and folders read so far (see
            :func:`stage_keys`); default a new one.
    """
    fingerprint = fingerprint or _Fingerprinter(cfg.get('work_dir'))
    return _digest(_entries(cfg, EVAL_ENTRIES, fingerprint, _eval_value))


def stage_keys(cfg: Config, device: str = 'cpu',
               extra: Sequence[str] = ()) -> tuple:
    """:func:`weight_key` and :func:`eval_key` of one config, each file and
    folder it names read once (the data folder serves both).

    Returns:
        tuple[str, dict, str]: The weight key, its payload and the
        evaluation key.
    """
    fingerprint = _Fingerprinter(cfg.get('work_dir'))
    key, payload = weight_key(cfg, device, extra=extra,
                              fingerprint=fingerprint)
    return key, payload, eval_key(cfg, fingerprint)


class StageEntry:
    """One stage's place in the cache.

    Args:
        folder (str): The entry's folder (``<cache root>/<key>``).
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.work_dir = osp.join(folder, 'work')
        self.index = osp.join(folder, 'stage.json')
        self.lock_file = osp.join(folder, '.lock')

    def result(self) -> Optional[dict]:
        """The finished stage's result, or None (not finished, or an index
        that cannot be read)."""
        try:
            with open(self.index) as f:
                result = json.load(f)
        except (OSError, ValueError):
            return None
        files = [p for p in result.get('files', []) if not osp.exists(p)]
        return None if files else result

    def save_result(self, result: dict) -> None:
        """Write the stage's result (atomically): the stage is finished.
        ``result['files']`` lists files that must exist for it to count."""
        from mmfeatdistill.utils.checkpoint import atomic_write_text
        atomic_write_text(json.dumps(result, indent=1, default=str),
                          self.index)

    def resumable(self) -> Optional[str]:
        """The latest complete checkpoint of an interrupted run, if any."""
        from mmfeatdistill.utils import find_resumable_checkpoint
        if not osp.isdir(self.work_dir):
            return None
        return find_resumable_checkpoint(self.work_dir)

    def in_use(self) -> bool:
        """Whether a run holds the entry now (:meth:`lock`). It takes a
        shared lock for an instant: a run asking for the entry in that
        instant prints that the entry is in use and waits for it."""
        if not osp.isfile(self.lock_file):
            return False
        with open(self.lock_file) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(f, fcntl.LOCK_UN)
        return False

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the entry (another process on the same stage waits)."""
        os.makedirs(self.folder, exist_ok=True)
        with open(self.lock_file, 'w') as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f'[cache] {self.folder} is in use by another run; '
                    f'waiting for it', flush=True)
                fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


class StageCache:
    """The cache's folder; an entry per key.

    Args:
        root (str, optional): Default :func:`default_root`.
    """

    def __init__(self, root: Optional[str] = None) -> None:
        self.root = osp.abspath(root or default_root())

    def entry(self, key: str) -> StageEntry:
        return StageEntry(osp.join(self.root, key[:24]))

    def describe(self, key: str, payload: dict, config: str,
                 options: List[str]) -> None:
        """Write what an entry was keyed on (``key.json``), for people."""
        from mmfeatdistill.utils.checkpoint import atomic_write_text
        entry = self.entry(key)
        os.makedirs(entry.folder, exist_ok=True)
        atomic_write_text(
            json.dumps(
                dict(key=key, config=config, options=options, payload=payload),
                indent=1, default=str), osp.join(entry.folder, 'key.json'))


class StageLedger:
    """Finished stages' results in a file that travels with the repository
    (e.g. ``benchmarks/results/ledger/long.json``), by stage key: what a
    long benchmark has measured survives the loss of the machine and its
    cache. A stage found there is not trained again; its checkpoint is not
    kept, so a later stage that needs it trains it again (on the same
    recipe). The key names the stages a stage reads by their own keys (see
    ``StageOutput`` in :mod:`mmfeatdistill.tools.demo`), not by their
    files' bytes, so a teacher trained again elsewhere leaves its students'
    keys unchanged.

    Args:
        path (str): The ledger's JSON file (made on the first result).
    """

    def __init__(self, path: str) -> None:
        self.path = osp.abspath(path)

    def _read(self) -> Dict[str, dict]:
        try:
            with open(self.path) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}
        except ValueError as e:
            raise ValueError(
                f'The stage ledger {self.path} is not valid JSON ({e}); '
                f'restore it from git (git checkout -- {self.path}) or '
                f'pass another --ledger') from e

    def records(self) -> Dict[str, dict]:
        """Every record, by stage key (empty when the file is not there
        yet).

        Raises:
            ValueError: the file is not valid JSON (the message names the
                fix).
        """
        return self._read()

    def get(self, key: str, evaluation: str) -> Optional[dict]:
        """The result recorded for ``key`` and evaluated as ``evaluation``
        (the stage's :func:`eval_key`), or None."""
        record = self._read().get(key)
        if record is None or record.get('eval_key') != evaluation:
            return None
        return record

    def add(self, key: str, record: dict) -> None:
        """Record a finished stage (the file is rewritten atomically, under
        a lock that other processes on the same ledger wait for)."""
        from mmfeatdistill.utils.checkpoint import atomic_write_text
        lock = osp.join(
            tempfile.gettempdir(), 'mmfd-ledger-' +
            hashlib.sha256(self.path.encode()).hexdigest()[:16] + '.lock')
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        with open(lock, 'w') as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                records = self._read()
                records[key] = record
                atomic_write_text(
                    json.dumps(records, indent=1, sort_keys=True, default=str)
                    + '\n', self.path)
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

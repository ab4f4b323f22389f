"""Base class of the recorders: capture one value per forward of a model."""
import difflib
import functools
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

import torch
from torch import nn


def clone_tensors(value: Any) -> Any:
    """Clone every tensor inside ``value`` (tensors, tuples, lists, dicts).

    The clone is part of the autograd graph (gradients flow through it), but
    an in-place op that later changes the original tensor (mmpretrain's
    blocks reuse one ``ReLU(inplace=True)``) no longer changes the record.
    """
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, (list, tuple)):
        items = [clone_tensors(v) for v in value]
        return type(value)(items) if not hasattr(value, '_fields') else \
            type(value)(*items)
    if isinstance(value, dict):
        return type(value)((k, clone_tensors(v)) for k, v in value.items())
    return value


def iter_tensors(value: Any) -> Iterator[torch.Tensor]:
    """Every tensor inside ``value`` (tensors, tuples, lists, dicts)."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from iter_tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from iter_tensors(v)


def tensor_versions(value: Any) -> Optional[List[Tuple[torch.Tensor, int]]]:
    """``[(tensor, version)]`` of every tensor inside ``value``: PyTorch
    bumps a tensor's version (shared with its views and base) on every
    in-place change, so a changed version is a changed value. None when a
    tensor has no version counter (inference-mode tensors)."""
    versions = []
    for tensor in iter_tensors(value):
        if tensor.is_inference():
            return None
        versions.append((tensor, tensor._version))
    return versions


def changed_in_place(versions: List[Tuple[torch.Tensor, int]]) -> bool:
    """Whether a tensor of :func:`tensor_versions` changed in place since."""
    return any(tensor._version != version for tensor, version in versions)


#: Values of a recorder's ``clone`` option.
CLONE_MODES = (True, False, 'auto')


def detach_tensors(value: Any, requires_grad: bool = False) -> Any:
    """Detached copies of every tensor inside ``value``; floating-point ones
    require grad when ``requires_grad`` (new leaves of a graph)."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(
            requires_grad and value.is_floating_point())
    if isinstance(value, (list, tuple)):
        items = [detach_tensors(v, requires_grad) for v in value]
        return type(value)(items) if not hasattr(value, '_fields') else \
            type(value)(*items)
    if isinstance(value, dict):
        return type(value)(
            (k, detach_tensors(v, requires_grad)) for k, v in value.items())
    return value


def get_submodule_or_explain(model: nn.Module, path: str,
                             role: str = 'model') -> nn.Module:
    """Return ``model``'s submodule at ``path`` or raise a helpful error.

    Args:
        model (nn.Module): The model to search.
        path (str): Dotted module path, e.g. ``'backbone.layer1.0.relu'``.
            The empty string is the model itself.
        role (str): How to call the model in the message (``'student'``).

    Raises:
        KeyError: when ``path`` names no module; the message lists the closest
            existing paths and points at ``tools/inspect_pair.py``.
    """
    if path == '':
        return model
    try:  # a walk down the path; recorders resolve their source each step
        return model.get_submodule(path)
    except AttributeError:
        pass
    names = dict(model.named_modules())
    if path in names:
        return names[path]
    close = difflib.get_close_matches(path, list(names), n=5, cutoff=0.5)
    if not close:
        prefix = path.rsplit('.', 1)[0]
        close = [n for n in names if n.startswith(prefix)][:5]
    hint = ', '.join(repr(c) for c in close) if close else 'none'
    raise KeyError(
        f'The {role} ({type(model).__name__}) has no module {path!r}. '
        f'Closest module paths: {hint}. Run `python tools/inspect_pair.py '
        f'CONFIG` to list every module path with its output shape.')


class BaseRecorder(metaclass=ABCMeta):
    """Record one value of a model during each forward.

    A recorder is attached to a model with :meth:`prepare` (which checks that
    the source exists) and is *active* only between :meth:`start` and
    :meth:`stop`; outside that window it leaves no hook or patch on the model.

    By default every recorded tensor is cloned at the moment it is seen, so
    in-place ops that run later (mmpretrain's blocks reuse one
    ``ReLU(inplace=True)``) do not change it. The copy costs memory and
    time, and where nothing changes the recorded tensor afterwards it is not
    needed: ``clone`` chooses.

    * ``True`` (default): always copy.
    * ``False``: never copy. The recorder keeps the tensors themselves and
      their version counters (PyTorch bumps a tensor's version, shared with
      its views, on every in-place change); reading a record that was
      changed in place since it was recorded raises a ``RuntimeError``
      instead of returning the changed values (e.g. the input of an
      in-place ReLU: use ``True`` or ``'auto'`` there).
    * ``'auto'``: copy until one forward shows that nothing changed the
      recorded tensors in place before they were read, then stop copying
      (still checked at every read, as with ``False``). Where they were
      changed, the recorder goes on copying.

    A record without a copy is the model's own tensor: gradients reach the
    model exactly as through the copy (a clone's backward is the identity),
    so losses and gradients are unchanged.

    Args:
        source (str): What to record; its meaning depends on the subclass.
        call_index (int): Which call of the source to record when it runs more
            than once per forward (a block's ReLU module runs twice in
            mmpretrain's ResNet blocks). 0 is the first call. Defaults to 0.
        clone (bool | str): ``True``, ``False`` or ``'auto'`` (see above).
            Defaults to True.
    """

    def __init__(self, source: str, call_index: int = 0,
                 clone: Union[bool, str] = True) -> None:
        if call_index < 0:
            raise ValueError(f'call_index must be >= 0, got {call_index}')
        self.source = source
        self.call_index = call_index
        self.model: Optional[nn.Module] = None
        self.role = 'model'
        self._calls = 0
        self._value: Any = None
        self._recorded = False
        # version counters of the uncopied record (checked at every read)
        # or, in a probing 'auto' step, of the originals of the copy
        self._watch: Optional[List[Tuple[torch.Tensor, int]]] = None
        self._shared = False  # the record is the model's own tensors
        self._safe: Optional[bool] = None  # 'auto': copies needed?
        self._released = False  # dropped once the step's losses read it
        self.set_clone(clone)

    def set_clone(self, clone: Union[bool, str]) -> None:
        """Set the ``clone`` mode (``True``, ``False`` or ``'auto'``; see
        the class). Takes effect from the next forward; what ``'auto'``
        learnt about the source stays known."""
        if not any(clone is mode or (isinstance(mode, str) and clone == mode)
                   for mode in CLONE_MODES):
            raise ValueError(
                f'{type(self).__name__}(clone={clone!r}): clone must be '
                f"True, False or 'auto'.")
        self.clone = clone

    @property
    def copies(self) -> bool:
        """Whether the next record will be a copy (``'auto'``: until a
        forward showed the copies unneeded)."""
        return self.clone is True or (self.clone == 'auto'
                                      and self._safe is not True)

    def prepare(self, model: nn.Module, role: str = 'model') -> None:
        """Attach to ``model``; raises a clear error if the source is absent.

        Args:
            model (nn.Module): The model that will be run.
            role (str): ``'student'`` or ``'teacher'``, used in messages.
        """
        self.model = model
        self.role = role
        self._safe = None
        self._resolve(model)

    @abstractmethod
    def _resolve(self, model: nn.Module) -> None:
        """Find the source in ``model`` (and fail clearly if absent)."""

    @abstractmethod
    def start(self) -> None:
        """Install hooks/patches and forget the previous record."""

    @abstractmethod
    def stop(self) -> None:
        """Remove every hook/patch installed by :meth:`start`."""

    def reset(self) -> None:
        """Forget the last record and the call count."""
        self._calls = 0
        self._value = None
        self._recorded = False
        self._watch = None
        self._shared = False
        self._released = False

    def release(self) -> None:
        """Drop the last record once nothing will read it again: its
        tensors are freed unless something else (e.g. the autograd graph of
        a loss that saved them for backward) still holds them. Reading it
        afterwards raises until the next forward records again."""
        if self._recorded:
            self._value, self._watch, self._shared = None, None, False
            self._recorded = False
            self._released = True

    def _on_call(self, value_fn) -> None:
        """Count a call of the source; record ``value_fn()`` on the right one.

        ``value_fn`` is only evaluated for the recorded call, so calls that
        are not recorded cost nothing.
        """
        if self._calls == self.call_index:
            value = value_fn()
            versions = None if self.clone is True else tensor_versions(value)
            if versions is not None and not self.copies:
                self._value, self._watch, self._shared = value, versions, True
            else:
                self._value = clone_tensors(value)
                self._shared = False
                # 'auto', first forward: watch the originals until the read
                self._watch = versions if self.clone == 'auto' and \
                    self._safe is None else None
            self._recorded = True
        self._calls += 1

    #: For recorders that replace a callable (a method, a function):
    #: record its input (``True``, before it runs) or its output (``False``,
    #: the default).
    records_input = False

    def _recording(self) -> bool:
        """Whether a call of the replaced callable counts (function
        recorders: only inside their ``within`` module)."""
        return True

    def _pick(self, args: tuple, kwargs: dict) -> Any:
        """The input an input recorder records: the first argument."""
        return args[0] if args else kwargs['input']

    def _wrap(self, original: Callable) -> Callable:
        """A replacement of ``original`` (a bound method or a function)
        that calls it and records its input (:attr:`records_input`, before
        the call) or its output."""

        @functools.wraps(original)
        def wrapper(*args, **kwargs):
            if self.records_input and self._recording():
                self._on_call(lambda: self._pick(args, kwargs))
            output = original(*args, **kwargs)
            if not self.records_input and self._recording():
                self._on_call(lambda: output)
            return output

        return wrapper

    def _check_record(self) -> None:
        """At a read: refuse a shared record that was changed in place
        since it was recorded; settle ``'auto'`` after its first forward."""
        if self._watch is None:
            return
        changed = changed_in_place(self._watch)
        if self._shared:
            if changed:
                raise RuntimeError(
                    f'{self.describe()} on the {self.role}: the recorded '
                    f'tensor was changed in place after it was recorded '
                    f'(e.g. by an in-place ReLU or `+=`), so it no longer '
                    f'holds the recorded value. Record it with clone=True '
                    f"(a copy) or clone='auto' (copies where needed).")
            return
        self._safe = not changed  # 'auto': the originals are seen once
        self._watch = None

    def detach(self, requires_grad: bool = False) -> None:
        """Replace the last record by a copy cut from the model's graph
        (floating-point tensors require grad when ``requires_grad``): what
        runs on it afterwards is timed or differentiated alone."""
        if self._recorded:
            self._check_record()
            self._value = detach_tensors(self._value, requires_grad)
            self._watch, self._shared = None, False

    def describe(self) -> str:
        """One line naming the recorder, e.g. for error messages."""
        clone = '' if self.clone is True else f', clone={self.clone!r}'
        return (f'{type(self).__name__}(source={self.source!r}, '
                f'call_index={self.call_index}{clone})')

    @property
    def data(self) -> Any:
        """The value recorded in the last forward.

        Raises:
            RuntimeError: when the source did not run often enough.
        """
        if self._released:
            raise RuntimeError(
                f'{self.describe()} on the {self.role}: its record was '
                f'released once the last loss reading it took its inputs '
                f'(FeatureDistiller frees records during a training step, '
                f'release_records=True). Read records after '
                f'`model.record(...)`, or build the distiller with '
                f'release_records=False to keep them after `loss()`.')
        if not self._recorded:
            raise RuntimeError(
                f'{self.describe()} on the {self.role} recorded nothing: its '
                f'source ran {self._calls} time(s) in the last forward, call '
                f'index {self.call_index} was requested. Check the source '
                f'with `python tools/inspect_pair.py CONFIG`.')
        self._check_record()
        return self._value

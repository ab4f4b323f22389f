"""Base class of the recorders: capture one value per forward of a model."""
import difflib
from abc import ABCMeta, abstractmethod
from typing import Any, Optional

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
        return type(value)((k, detach_tensors(v, requires_grad))
                           for k, v in value.items())
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
    Every recorded tensor is cloned at the moment it is seen, so in-place ops
    that run later do not change it.

    Args:
        source (str): What to record; its meaning depends on the subclass.
        call_index (int): Which call of the source to record when it runs more
            than once per forward (a block's ReLU module runs twice in
            mmpretrain's ResNet blocks). 0 is the first call. Defaults to 0.
    """

    def __init__(self, source: str, call_index: int = 0) -> None:
        if call_index < 0:
            raise ValueError(f'call_index must be >= 0, got {call_index}')
        self.source = source
        self.call_index = call_index
        self.model: Optional[nn.Module] = None
        self.role = 'model'
        self._calls = 0
        self._value: Any = None
        self._recorded = False

    def prepare(self, model: nn.Module, role: str = 'model') -> None:
        """Attach to ``model``; raises a clear error if the source is absent.

        Args:
            model (nn.Module): The model that will be run.
            role (str): ``'student'`` or ``'teacher'``, used in messages.
        """
        self.model = model
        self.role = role
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

    def _on_call(self, value_fn) -> None:
        """Count a call of the source; record ``value_fn()`` on the right one.

        ``value_fn`` is only evaluated for the recorded call, so calls that
        are not recorded cost nothing.
        """
        if self._calls == self.call_index:
            self._value = clone_tensors(value_fn())
            self._recorded = True
        self._calls += 1

    def detach(self, requires_grad: bool = False) -> None:
        """Replace the last record by a copy cut from the model's graph
        (floating-point tensors require grad when ``requires_grad``): what
        runs on it afterwards is timed or differentiated alone."""
        if self._recorded:
            self._value = detach_tensors(self._value, requires_grad)

    def describe(self) -> str:
        """One line naming the recorder, e.g. for error messages."""
        return (f'{type(self).__name__}(source={self.source!r}, '
                f'call_index={self.call_index})')

    @property
    def data(self) -> Any:
        """The value recorded in the last forward.

        Raises:
            RuntimeError: when the source did not run often enough.
        """
        if not self._recorded:
            raise RuntimeError(
                f'{self.describe()} on the {self.role} recorded nothing: its '
                f'source ran {self._calls} time(s) in the last forward, call '
                f'index {self.call_index} was requested. Check the source with '
                f'`python tools/inspect_pair.py CONFIG`.')
        return self._value



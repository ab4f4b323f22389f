"""Recorders of a function's output or input while a submodule runs."""
import importlib
from typing import List, Optional, Union

from torch import nn
from torch.utils.hooks import RemovableHandle

from mmfeatdistill.registry import MODELS
from .base_recorder import BaseRecorder, get_submodule_or_explain


class _FunctionPatchRecorder(BaseRecorder):
    """Patch ``package.module.function`` while recording.

    The patch replaces the attribute of the defining module, so it sees calls
    written as ``F.relu(x)``; code that imported the function by name
    (``from torch.nn.functional import relu``) keeps the original. Calls are
    counted only while the submodule ``within`` runs (default: the whole
    model), so the same function elsewhere in the model does not shift the
    call index.
    """

    def __init__(self, source: str, within: str = '', call_index: int = 0,
                 clone: Union[bool, str] = True) -> None:
        super().__init__(source, call_index, clone)
        if '.' not in source:
            raise ValueError(f'source must be a dotted function path such as '
                             f"'torch.nn.functional.relu', got {source!r}")
        self.module_name, self.func_name = source.rsplit('.', 1)
        self.within = within
        try:
            self._owner = importlib.import_module(self.module_name)
        except ImportError as err:
            raise ImportError(
                f'Cannot import {self.module_name!r} for recorder source '
                f'{source!r}: {err}') from err
        if not callable(getattr(self._owner, self.func_name, None)):
            raise AttributeError(
                f'{self.module_name!r} has no function {self.func_name!r} '
                f'(recorder source {source!r}).')
        self._scope: Optional[nn.Module] = None
        self._depth = 0
        self._original = None
        self._handles: List[RemovableHandle] = []

    def describe(self) -> str:
        return (f'{type(self).__name__}(source={self.source!r}, '
                f'within={self.within!r}, call_index={self.call_index})')

    def _resolve(self, model: nn.Module) -> None:
        self._scope = get_submodule_or_explain(model, self.within, self.role)

    def _enter(self, *_):
        self._depth += 1

    def _exit(self, *_):
        self._depth -= 1

    def _recording(self) -> bool:
        return self._depth > 0

    def start(self) -> None:
        self.reset()
        self._depth = 0
        self._handles = [
            self._scope.register_forward_pre_hook(self._enter),
            self._scope.register_forward_hook(self._exit),
        ]
        self._original = getattr(self._owner, self.func_name)
        setattr(self._owner, self.func_name, self._wrap(self._original))

    def stop(self) -> None:
        if self._original is not None:
            setattr(self._owner, self.func_name, self._original)
            self._original = None
        for handle in self._handles:
            handle.remove()
        self._handles = []


@MODELS.register_module()
class FunctionOutputRecorder(_FunctionPatchRecorder):
    """Record what a function returns when called inside ``within``.

    Args:
        source (str): Dotted path of the function, e.g.
            ``'torch.nn.functional.interpolate'``.
        within (str): Module path the call must happen in. Defaults to ``''``
            (anywhere in the model).
        call_index (int): Which call (counted inside ``within``) to record.
            Defaults to 0.
        clone (bool | str): Copy the record (``True``, default), not
            (``False``) or where needed (``'auto'``); see
            :class:`BaseRecorder`.
    """


@MODELS.register_module()
class FunctionInputRecorder(_FunctionPatchRecorder):
    """Record the first argument of a function called inside ``within``.

    ``torch.nn.functional.relu`` called inside a module is recorded *before*
    it runs, which gives the pre-ReLU tensor even with ``inplace=True``.

    Args:
        source (str): Dotted path of the function.
        within (str): Module path the call must happen in. Defaults to ``''``.
        call_index (int): Which call to record. Defaults to 0.
        clone (bool | str): Copy the record (``True``, default), not
            (``False``) or where needed (``'auto'``); see
            :class:`BaseRecorder`.
    """

    records_input = True

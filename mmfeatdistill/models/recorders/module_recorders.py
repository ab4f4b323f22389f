"""Recorders of a submodule's output or input (forward hooks)."""
from typing import Optional, Union

from torch import nn
from torch.utils.hooks import RemovableHandle

from mmfeatdistill.registry import MODELS
from .base_recorder import BaseRecorder, get_submodule_or_explain


class _ModuleHookRecorder(BaseRecorder):
    """Shared resolution and hook bookkeeping of the module recorders."""

    def __init__(self, source: str, call_index: int = 0,
                 clone: Union[bool, str] = True) -> None:
        super().__init__(source, call_index, clone)
        self._module: Optional[nn.Module] = None
        self._handle: Optional[RemovableHandle] = None

    def _resolve(self, model: nn.Module) -> None:
        self._module = get_submodule_or_explain(model, self.source, self.role)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None


@MODELS.register_module()
class ModuleOutputRecorder(_ModuleHookRecorder):
    """Record the output of the submodule at ``source`` (a forward hook).

    Args:
        source (str): Dotted path of the submodule, e.g. ``'backbone.layer3'``.
        call_index (int): Which call to record when the module runs more than
            once per forward. Defaults to 0.
        clone (bool | str): Copy the record (``True``, default), not
            (``False``) or where needed (``'auto'``); see
            :class:`BaseRecorder`.
    """

    def start(self) -> None:
        self.reset()
        self._handle = self._module.register_forward_hook(
            lambda module, args, output: self._on_call(lambda: output))


@MODELS.register_module()
class ModuleInputRecorder(_ModuleHookRecorder):
    """Record a positional input of the submodule at ``source``.

    This is how pre-activation features are recorded: the input of a block's
    ReLU module at the call that applies the block's last activation (for
    mmpretrain's ``BasicBlock`` the second call of ``relu``). The value is
    cloned before the module runs, so an in-place ReLU does not reach it.

    Args:
        source (str): Dotted path of the submodule.
        call_index (int): Which call to record. Defaults to 0.
        arg_index (int): Which positional argument to record. Defaults to 0.
        clone (bool | str): Copy the record (``True``, default: needed
            before an in-place ReLU), not (``False``) or where needed
            (``'auto'``); see :class:`BaseRecorder`.
    """

    def __init__(self, source: str, call_index: int = 0, arg_index: int = 0,
                 clone: Union[bool, str] = True) -> None:
        super().__init__(source, call_index, clone)
        self.arg_index = arg_index

    def start(self) -> None:
        self.reset()
        self._handle = self._module.register_forward_pre_hook(
            lambda module, args: self._on_call(lambda: args[self.arg_index]))

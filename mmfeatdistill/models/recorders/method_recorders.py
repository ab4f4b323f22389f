"""Recorders of a module method's output or input (instance-level patch)."""
from typing import Optional, Union

from torch import nn

from mmfeatdistill.registry import MODELS
from .base_recorder import BaseRecorder, get_submodule_or_explain


class _MethodPatchRecorder(BaseRecorder):
    """Wrap ``module.method`` of *one* model instance while recording.

    The patch is an instance attribute, so a teacher and a student of the same
    class are never confused, and it is removed by :meth:`stop`.
    """

    def __init__(self, source: str, call_index: int = 0,
                 clone: Union[bool, str] = True) -> None:
        super().__init__(source, call_index, clone)
        if '.' not in source:
            self.module_path, self.method = '', source
        else:
            self.module_path, self.method = source.rsplit('.', 1)
        self._module: Optional[nn.Module] = None
        self._patched = False

    def _resolve(self, model: nn.Module) -> None:
        module = get_submodule_or_explain(model, self.module_path, self.role)
        if not callable(getattr(module, self.method, None)) or isinstance(
                getattr(module, self.method), nn.Module):
            methods = sorted(
                m for m in dir(type(module))
                if not m.startswith('_') and callable(getattr(module, m, None))
                and not isinstance(getattr(module, m, None), nn.Module))
            raise AttributeError(
                f'{type(module).__name__} at {self.module_path or "<root>"!r} '
                f'of the {self.role} has no method {self.method!r}. Methods: '
                f'{", ".join(methods[:30])}')
        self._module = module

    def start(self) -> None:
        self.reset()
        original = getattr(self._module, self.method)
        self._module.__dict__[self.method] = self._wrap(original)
        self._patched = True

    def stop(self) -> None:
        if self._patched:
            self._module.__dict__.pop(self.method, None)
            self._patched = False


@MODELS.register_module()
class MethodOutputRecorder(_MethodPatchRecorder):
    """Record what a method of a submodule returns.

    Args:
        source (str): ``'<module path>.<method>'``, e.g. ``'head.pre_logits'``
            (the penultimate feature of an mmpretrain classifier).
        call_index (int): Which call to record. Defaults to 0.
        clone (bool | str): Copy the record (``True``, default), not
            (``False``) or where needed (``'auto'``); see
            :class:`BaseRecorder`.
    """


@MODELS.register_module()
class MethodInputRecorder(_MethodPatchRecorder):
    """Record an argument of a method of a submodule.

    Args:
        source (str): ``'<module path>.<method>'``, e.g. ``'head.loss'``.
        call_index (int): Which call to record. Defaults to 0.
        arg_index (int): Which positional argument (``self`` not counted).
            Defaults to 0.
        arg_name (str, optional): Name of a keyword argument to record
            instead; used when the caller passes it by keyword.
        clone (bool | str): Copy the record (``True``, default), not
            (``False``) or where needed (``'auto'``); see
            :class:`BaseRecorder`.
    """

    records_input = True

    def __init__(self, source: str, call_index: int = 0, arg_index: int = 0,
                 arg_name: Optional[str] = None,
                 clone: Union[bool, str] = True) -> None:
        super().__init__(source, call_index, clone)
        self.arg_index = arg_index
        self.arg_name = arg_name

    def _pick(self, args, kwargs):
        if self.arg_name is not None and self.arg_name in kwargs:
            return kwargs[self.arg_name]
        if self.arg_index < len(args):
            return args[self.arg_index]
        raise RuntimeError(
            f'{self.describe()}: the call had {len(args)} positional '
            f'argument(s) and keywords {sorted(kwargs)}; set arg_index or '
            f'arg_name to one of them.')

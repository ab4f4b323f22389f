"""A named set of recorders attached to one model."""
from typing import Any, Dict, Optional, Union

from torch import nn

from mmfeatdistill.registry import MODELS
from .base_recorder import BaseRecorder


class RecorderManager:
    """Build, attach and run a dict of named recorders on one model.

    Use as a context manager around the model's forward::

        manager = RecorderManager(dict(stage3=dict(
            type='ModuleOutputRecorder', source='backbone.layer3')))
        manager.prepare(model, role='student')
        with manager:
            model(inputs)
        feature = manager.get('stage3')

    Args:
        recorders (dict, optional): ``name -> recorder config`` (or built
            recorder). Defaults to no recorder.
    """

    def __init__(
        self, recorders: Optional[Dict[str,
                                       Union[dict,
                                             BaseRecorder]]] = None) -> None:
        self.recorders: Dict[str, BaseRecorder] = {}
        for name, cfg in (recorders or {}).items():
            if isinstance(cfg, BaseRecorder):
                self.recorders[name] = cfg
                continue
            if not isinstance(cfg, dict) or 'type' not in cfg:
                raise TypeError(
                    f'Recorder {name!r} must be a dict with a "type" such as '
                    "dict(type='ModuleOutputRecorder', "
                    "source='backbone.layer1')"
                    f', got {cfg!r}')
            self.recorders[name] = MODELS.build(cfg)

    def prepare(self, model: nn.Module, role: str = 'model') -> None:
        """Attach every recorder to ``model`` (errors name the recorder)."""
        for name, recorder in self.recorders.items():
            try:
                recorder.prepare(model, role)
            except (KeyError, AttributeError, ValueError) as err:
                msg = err.args[0] if err.args else str(err)
                if role == 'teacher' and isinstance(err, KeyError):
                    msg += (' A teacher of another architecture than the '
                            "student's has its own paths: give the preset "
                            "the teacher's side (teacher_positions=..., "
                            'teacher_logits_source=...; docs/methods.md, '
                            '"Pairs of different architectures").')
                raise type(err)(f'{role} recorder {name!r}: {msg}') from None

    def __contains__(self, name: str) -> bool:
        return name in self.recorders

    def __enter__(self) -> 'RecorderManager':
        started = []
        try:
            for recorder in self.recorders.values():
                # Sources are looked up again on every forward: MMEngine's
                # Runner replaces modules after the model is built (e.g.
                # ``revert_sync_batchnorm`` swaps every SyncBN for a new BN
                # when not distributed), and a hook on the old one would
                # never fire.
                if recorder.model is not None:
                    recorder._resolve(recorder.model)
                recorder.start()
                started.append(recorder)
        except BaseException:
            for recorder in started:
                recorder.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for recorder in self.recorders.values():
            recorder.stop()

    def detach(self, requires_grad: bool = False) -> None:
        """Cut every last record from the model's graph (see
        :meth:`BaseRecorder.detach`)."""
        for recorder in self.recorders.values():
            recorder.detach(requires_grad)

    def reset(self) -> None:
        """Forget every record (frees the recorded tensors)."""
        for recorder in self.recorders.values():
            recorder.reset()

    def release(self, name: str) -> None:
        """Drop the last record of ``name`` (see
        :meth:`BaseRecorder.release`)."""
        self.recorders[name].release()

    def get(self, name: str) -> Any:
        """The value recorded by ``name`` in the last forward."""
        return self.recorders[name].data

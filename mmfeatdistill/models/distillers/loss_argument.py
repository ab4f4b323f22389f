"""One argument of a distillation loss, as the config maps it: a recorded
value (through a connector) or a connector's attribute."""
from typing import Any, Optional, Tuple

import torch
from torch import nn

from mmfeatdistill.utils.checks import check_bool
from ..recorders import RecorderManager

_RECORD_KEYS = {
    'from_student', 'recorder', 'index', 'connector', 'output_index'
}
_ATTRIBUTE_KEYS = {'connector', 'attribute'}


class LossArgument:
    """One argument of one distillation loss, as written in the config.

    Two forms are accepted:

    * a recorded value, optionally indexed and passed through a connector,
      whose output may itself be indexed (a connector that returns several
      tensors, e.g. an auxiliary head's feature and logits; it runs once
      per forward however many arguments read it)::

        dict(from_student=True, recorder='stage3', index=None,
             connector='s_stage3', output_index=None)

    * an attribute of a connector (e.g. a link's weight for an orthogonality
      loss)::

        dict(connector='link1', attribute='weight')

    Args:
        loss_name (str): The loss the argument belongs to (for messages).
        arg_name (str): The argument name of the loss's ``forward``.
        spec (dict): The config entry.
        student_recorders (RecorderManager): Recorders of the student.
        teacher_recorders (RecorderManager): Recorders of the teacher.
        connectors (nn.ModuleDict): The distiller's connectors.
    """

    def __init__(self, loss_name: str, arg_name: str, spec: dict,
                 student_recorders: RecorderManager,
                 teacher_recorders: RecorderManager,
                 connectors: nn.ModuleDict) -> None:
        self.loss_name = loss_name
        self.arg_name = arg_name
        where = f'loss_forward_mappings.{loss_name}.{arg_name}'
        if not isinstance(spec, dict):
            raise TypeError(f'{where} must be a dict, got {spec!r}')
        spec = dict(spec)
        self.attribute: Optional[str] = spec.get('attribute')
        self.connector: Optional[str] = spec.get('connector')
        if self.connector is not None and self.connector not in connectors:
            raise KeyError(
                f'{where} uses connector {self.connector!r}, which is not in '
                f'`connectors` (defined: {sorted(connectors) or "none"}).')
        if self.attribute is not None:
            extra = set(spec) - _ATTRIBUTE_KEYS
            if extra or self.connector is None:
                raise KeyError(
                    f'{where}: an attribute argument takes exactly the keys '
                    f'{sorted(_ATTRIBUTE_KEYS)}, got {sorted(spec)}')
            if not hasattr(connectors[self.connector], self.attribute):
                raise AttributeError(
                    f'{where}: connector {self.connector!r} has no attribute '
                    f'{self.attribute!r}.')
            return
        extra = set(spec) - _RECORD_KEYS
        missing = {'from_student', 'recorder'} - set(spec)
        if extra or missing:
            raise KeyError(
                f'{where}: keys {sorted(missing)} are required and '
                f'{sorted(extra)} are unknown; allowed keys: '
                f'{sorted(_RECORD_KEYS)} (or {sorted(_ATTRIBUTE_KEYS)}).')
        self.from_student = check_bool(spec['from_student'],
                                       f'{where}.from_student')
        self.recorder: str = spec['recorder']
        self.index: Optional[int] = spec.get('index')
        if self.index is not None and (isinstance(self.index, bool)
                                       or not isinstance(self.index, int)):
            raise TypeError(f'{where}.index must be an int (an item of a '
                            f'recorded tuple/list), got {self.index!r}.')
        self.output_index: Optional[int] = spec.get('output_index')
        if self.output_index is not None and self.connector is None:
            raise KeyError(f'{where}: output_index needs a connector.')
        manager = student_recorders if self.from_student else \
            teacher_recorders
        if self.recorder not in manager:
            side = 'student' if self.from_student else 'teacher'
            raise KeyError(
                f'{where} reads {side} recorder {self.recorder!r}, which is '
                f'not in `{side}_recorders` (defined: '
                f'{sorted(manager.recorders) or "none"}).')

    @property
    def side(self) -> str:
        return 'student' if self.from_student else 'teacher'

    @property
    def reads_student(self) -> bool:
        """Whether the value comes from a student recorder."""
        return self.attribute is None and self.from_student

    @property
    def reads_teacher(self) -> bool:
        """Whether the value comes from a teacher recorder."""
        return self.attribute is None and not self.from_student

    def reaches_trainable(self, connectors: nn.ModuleDict) -> bool:
        """Whether the value can carry a gradient to a trainable parameter
        of the student or of a connector: it reads a student recorder (not
        through a connector that turns data samples into targets, see
        ``BaseConnector.produces_targets``), or it goes through a connector
        with parameters that require gradients, or it is a connector
        attribute that requires gradients (e.g. TOFD's link weight).

        Args:
            connectors (nn.ModuleDict): The distiller's connectors (built
                and prepared: frozen ones no longer require gradients).

        Returns:
            bool: False when the loss cannot train anything through it.
        """
        connector = None if self.connector is None else \
            connectors[self.connector]
        if self.attribute is not None:
            value = getattr(connector, self.attribute)
            return isinstance(value, torch.Tensor) and value.requires_grad
        if connector is not None and any(p.requires_grad
                                         for p in connector.parameters()):
            return True
        return self.from_student and not getattr(connector, 'produces_targets',
                                                 False)

    def record_key(self) -> Optional[Tuple[bool, str]]:
        """``(from_student, recorder)`` of the record this value is
        computed from; None for a connector attribute."""
        if self.attribute is not None:
            return None
        return (self.from_student, self.recorder)

    def describe(self) -> str:
        """e.g. ``student recorder 'stage3' -> connector 's3'``."""
        if self.attribute is not None:
            return f'connector {self.connector!r}.{self.attribute}'
        text = f'{self.side} recorder {self.recorder!r}'
        if self.index is not None:
            text += f'[{self.index}]'
        if self.connector is not None:
            text += f' -> connector {self.connector!r}'
        if self.output_index is not None:
            text += f'[{self.output_index}]'
        return text

    def key(self) -> tuple:
        """Identity of the computed value (shared between losses)."""
        if self.attribute is not None:
            return ('attribute', self.connector, self.attribute)
        return (self.from_student, self.recorder, self.index, self.connector,
                self.output_index)

    def connector_key(self) -> Optional[tuple]:
        """Identity of the connector output this value is read from (a
        connector with several outputs runs once); None without one."""
        if self.attribute is not None or self.connector is None:
            return None
        return ('connector', self.from_student, self.recorder, self.index,
                self.connector)

    def compute(self, student_recorders: RecorderManager,
                teacher_recorders: RecorderManager, connectors: nn.ModuleDict,
                cache: Optional[dict] = None) -> Any:
        """The value of this argument for the last forward.

        ``cache`` (shared by the arguments of one forward) holds connector
        outputs, so a connector read with several ``output_index`` values
        runs once.
        """
        if self.attribute is not None:
            return getattr(connectors[self.connector], self.attribute)
        manager = student_recorders if self.from_student else \
            teacher_recorders
        value = manager.get(self.recorder)
        if self.index is not None:
            if not isinstance(value, (list, tuple)):
                raise TypeError(
                    f'loss_forward_mappings.{self.loss_name}.{self.arg_name}'
                    f': index={self.index} picks an item of a tuple/list, '
                    f'but {self.side} recorder {self.recorder!r} recorded a '
                    f'{type(value).__name__}' +
                    (f' of shape {tuple(value.shape)} (indexing it would '
                     f'keep one sample of the batch)' if isinstance(
                         value, torch.Tensor) else '') + '. Remove `index`.')
            if not -len(value) <= self.index < len(value):
                raise IndexError(
                    f'loss_forward_mappings.{self.loss_name}.{self.arg_name}'
                    f': index={self.index}, but {self.side} recorder '
                    f'{self.recorder!r} recorded {len(value)} items.')
            value = value[self.index]
        if self.connector is not None:
            key = self.connector_key()
            if cache is None or key not in cache:
                out = self._run_connector(connectors[self.connector], value)
                if cache is not None:
                    cache[key] = out
            value = cache[key] if cache is not None else out
        if self.output_index is not None:
            value = value[self.output_index]
        return value

    def _run_connector(self, connector: nn.Module, value: Any) -> Any:
        """``connector(value)``; an error names the connector, the
        recorder and the input shape (a preset's widths that do not fit the
        model otherwise surface as a bare conv/matmul/BN error)."""
        try:
            return connector(value)
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            shape = tuple(value.shape) if isinstance(
                value, torch.Tensor) else type(value).__name__
            message = (
                f'connector {self.connector!r} ({type(connector).__name__}) '
                f'on {self.side} recorder {self.recorder!r} (input '
                f'{shape}): {err}. Check the widths given to the connector '
                f'(or the preset\'s student/teacher channels) against the '
                f'recorded features: `python tools/inspect_pair.py CONFIG` '
                f'lists every module path with its output shape.')
            try:
                explained = type(err)(message)
            except Exception:  # an error type with another signature
                raise err from None
            raise explained from err

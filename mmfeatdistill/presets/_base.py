"""What every preset shares: the result type, the distiller header, the
per-position argument checks and the recorders of a list of positions."""
import copy
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple


class Method(NamedTuple):
    """Everything a config needs for one method: ``model, custom_hooks =
    preset(...)``.

    Attributes:
        model (dict): The ``model`` config (a ``FeatureDistiller``).
        custom_hooks (list[dict]): The method's hooks (plus the ones the
            caller passed), for ``custom_hooks``.
    """

    model: dict
    custom_hooks: List[dict]


def distiller(*, teacher: dict, student: dict, teacher_ckpt: Optional[str],
              teacher_norm_eval: bool, replace_base: bool = False,
              **blocks) -> dict:
    """The ``FeatureDistiller`` config: the pair, the teacher's norm mode
    and the method's blocks (recorders, connectors, losses, mappings,
    schedules).

    Args:
        teacher (dict): Teacher model config (or ``cfg_path`` spec).
        student (dict): Student model config (or ``cfg_path`` spec).
        teacher_ckpt (str, optional): Teacher checkpoint, URL or path.
        teacher_norm_eval (bool): See :class:`FeatureDistiller`.
        replace_base (bool): Add ``_delete_=True``, for a config whose
            ``_base_`` defines a ``model`` this one replaces (the packages'
            own configs). Defaults to False.
        **blocks: The remaining ``FeatureDistiller`` arguments.
    """
    model = dict(type='FeatureDistiller', teacher=teacher,
                 teacher_ckpt=teacher_ckpt, student=student,
                 teacher_norm_eval=teacher_norm_eval, **blocks)
    return dict(_delete_=True, **model) if replace_base else model


def check_same_length(preset: str, **lists: Sequence) -> int:
    """Return the common length of ``lists`` or raise naming the misfit.

    Args:
        preset (str): The preset's name, for the message.
        **lists: The per-position lists that must pair up.

    Returns:
        int: Their common length.
    """
    lengths = {name: len(value) for name, value in lists.items()}
    if len(set(lengths.values())) != 1:
        found = ', '.join(f'{n}: {k}' for n, k in lengths.items())
        raise ValueError(
            f'{preset}: the per-position lists must have one entry per '
            f'position each, got {found}. Give every list the same length.')
    return next(iter(lengths.values()))


def as_list(value, num: int, name: str, preset: str) -> list:
    """``value`` per position: a list of ``num`` items, or one value for
    every position."""
    if isinstance(value, (list, tuple)):
        check_same_length(preset, positions=range(num), **{name: value})
        return list(value)
    return [value] * num


def position(source: str, index: Optional[int] = None,
             type: str = 'ModuleOutputRecorder', **recorder_args) -> dict:
    """A position for a preset: the recorder config of ``source``, with
    ``index`` (an item of a recorded tuple, e.g. one level of an SSD neck's
    output) when given.

    Args:
        source (str): What the recorder records (a module path, ...).
        index (int, optional): Item of the recorded tuple/list.
        type (str): Recorder type. Defaults to ``'ModuleOutputRecorder'``.
        **recorder_args: Other arguments of the recorder.
    """
    spec = dict(type=type, source=source, **recorder_args)
    if index is not None:
        spec['index'] = index
    return spec


def recorders_of(positions: Sequence[dict],
                 names: Sequence[str]) -> Tuple[Dict[str, dict], List[dict]]:
    """Recorder configs of ``positions`` (one per distinct recorder, named
    after the first position that uses it) and, per position, the mapping
    keys that read it (``recorder`` and ``index``).

    Args:
        positions (Sequence[dict]): Recorder configs, each optionally with
            an ``index`` (see :func:`position`).
        names (Sequence[str]): A name per position.
    """
    recorders: Dict[str, dict] = {}
    reads = []
    for name, spec in zip(names, positions):
        spec = copy.deepcopy(dict(spec))
        index = spec.pop('index', None)
        found = next((n for n, r in recorders.items() if r == spec), None)
        if found is None:
            found = name
            recorders[name] = spec
        reads.append(
            dict(recorder=found,
                 **({} if index is None else dict(index=index))))
    return recorders, reads

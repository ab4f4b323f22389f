"""The rows of ``benchmarks/overhead.py``: which distiller configs, the
task of each (from its student's registry scope) and the batch it gets."""
import glob
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

#: The repository (configs are relative to it).
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The rows by default (``--configs``): every distiller config of the
#: CIFAR-100 pair (one per method; configs that are not a FeatureDistiller,
#: e.g. TOFD's teacher-heads step, are skipped) and OFD's detection and
#: segmentation configs. Globs, relative to the repository.
DEFAULT_CONFIGS = (
    'configs/*/*_cifar100.py',
    'configs/ofd/ofd_ssd300_ssd300-r18_voc0712.py',
    'configs/ofd/ofd_deeplabv3plus-r101_r18_voc12aug.py',
)


def _cls_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import cls_batch
    return cls_batch(row.batch, (row.channels, row.size, row.size),
                     num_classes=row.num_classes)


def _det_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import det_batch
    return det_batch(row.batch, row.size, num_classes=row.num_classes)


def _seg_batch(row: 'Row') -> dict:
    from mmfeatdistill.testing import seg_batch
    return seg_batch(row.batch, (row.size, row.size),
                     num_classes=row.num_classes)


@dataclass(frozen=True)
class Task:
    """What the rows of one task need.

    Attributes:
        scope (str): The student's registry scope that marks the task.
        class_key (str): Where the student's config keeps its number of
            classes.
        sizes (dict): Device -> (batch, input size). CPU: sizes that fit
            2 cores; CUDA: the configs' own.
        make_batch (callable): The row's synthetic batch.
        sized_preprocessor (bool): The student's data preprocessor is
            given the input size (mmseg's pads to it).
    """
    scope: str
    class_key: str
    sizes: Dict[str, Tuple[int, int]]
    make_batch: Callable[['Row'], dict]
    sized_preprocessor: bool = False


#: task -> what its rows need; a new task is one entry. CUDA sizes: CIFAR
#: 128 x 32x32, SSD 8 x 300x300, DeepLabV3+ 4 x 512x512 crops.
TASKS = {
    'cls':
    Task('mmpretrain', 'head', dict(cpu=(32, 32), cuda=(128, 32)), _cls_batch),
    'det':
    Task('mmdet', 'bbox_head', dict(cpu=(2, 300), cuda=(8, 300)), _det_batch),
    'seg':
    Task('mmseg', 'decode_head', dict(cpu=(2, 128), cuda=(4, 512)), _seg_batch,
         sized_preprocessor=True),
}


@dataclass
class Row:
    """One row of the table: a distiller config and what its batch needs."""
    name: str  # the config's file name without .py
    config: str  # relative to the repository
    task: str  # 'cls', 'det' or 'seg'
    num_classes: int
    channels: int  # input channels
    batch: int
    size: int


def row_of(config: str, device: str = 'cpu', batch: Optional[int] = None,
           size: Optional[int] = None) -> Optional[Row]:
    """The row of a config (path relative to the repository or absolute),
    or None when it is not a FeatureDistiller config. The task comes from
    the student's registry scope, batch and input size from
    :data:`TASKS` unless given."""
    from mmengine.config import Config

    from mmfeatdistill.utils import resolve_model_cfg
    path = config if osp.isabs(config) else osp.join(REPO, config)
    cfg = Config.fromfile(path)
    model = cfg.get('model')
    if not isinstance(model, dict) or model.get('type') not in (
            'FeatureDistiller', 'mmfeatdistill.FeatureDistiller'):
        return None
    student = resolve_model_cfg(model['student'], 'student',
                                cfg.get('data_preprocessor'))
    scope = student.get('_scope_') or str(student.get('type')).split('.')[0]
    tasks = {t.scope: name for name, t in TASKS.items()}
    if scope not in tasks:
        raise ValueError(f'{config}: the student\'s scope {scope!r} is none '
                         f'of {sorted(tasks)}.')
    task = tasks[scope]
    num_classes = student[TASKS[task].class_key]['num_classes']
    preprocessor = student.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    channels = len(preprocessor.get('mean') or (0, 0, 0))
    default_batch, default_size = TASKS[task].sizes[device]
    rel = osp.relpath(path, REPO)
    return Row(name=osp.splitext(osp.basename(path))[0], config=rel, task=task,
               num_classes=int(num_classes), channels=channels, batch=batch
               or default_batch, size=size or default_size)


def discover(patterns: Sequence[str] = DEFAULT_CONFIGS, device: str = 'cpu',
             only: Optional[Sequence[str]] = None, batch: Optional[int] = None,
             size: Optional[int] = None) -> List[Row]:
    """The rows of the distiller configs matching ``patterns`` (globs
    relative to the repository, in order, each sorted; duplicates once),
    those whose name contains one of ``only`` when given."""
    paths: List[str] = []
    for pattern in patterns:
        full = pattern if osp.isabs(pattern) else osp.join(REPO, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            raise FileNotFoundError(f'--configs {pattern!r} matches no file')
        paths += [p for p in matches if p not in paths]
    rows = []
    for path in paths:
        name = osp.splitext(osp.basename(path))[0]
        if only and not any(o in name for o in only):
            continue
        row = row_of(path, device, batch, size)
        if row is not None:
            rows.append(row)
    return rows

"""The experiment table: for each task, the stages that the README's main
job (``tools/demo.py``) and ``benchmarks/quality.py`` run, as data.

A task is one :class:`Experiment` entry (its data, metrics and stages); a
method is one :class:`Stage` in the tasks it serves (its config, and the
step that prepares its teacher, if any). The demo and the benchmarks read
this table; nothing else lists the stages.
"""
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple


@dataclass(frozen=True)
class Stage:
    """One trained model of an experiment.

    Attributes:
        name (str): Row name in the results.
        config (str): Config path (repo-relative or absolute).
        kind (str): ``'teacher'`` (trained once, cached, its checkpoint is
            every other stage's ``model.teacher_ckpt``), ``'baseline'``
            (the plain student, the gains' reference), ``'reference'`` (a
            well-known method users compare with, e.g. KD) or ``'method'``.
        teacher_heads (str, optional): Config of a step that trains
            auxiliary heads on the frozen teacher first
            (``tools/train_tofd_teacher_heads.py``; TOFD); its checkpoint
            becomes this stage's teacher.
        options (tuple[str]): ``--cfg-options`` of this stage alone, after
            the experiment's (e.g. a variant of a loss weight that
            ``benchmarks/sweep.py`` tries); part of the stage's key, not
            of its teacher-heads step's. Default none.
    """

    name: str
    config: str
    kind: str = 'method'
    teacher_heads: Optional[str] = None
    options: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        kinds = ('teacher', 'baseline', 'reference', 'method')
        if self.kind not in kinds:
            raise ValueError(f'Stage {self.name!r}: kind must be one of '
                             f'{kinds}, got {self.kind!r}')


@dataclass(frozen=True)
class Metric:
    """A metric of the results table.

    Attributes:
        key (str): The key the evaluator logs (e.g. ``'mIoU'``).
        label (str): Column header.
        scale (float): Factor to percent (1 when the evaluator logs
            percent already).
    """

    key: str
    label: str
    scale: float = 1.0


#: The keys of a schedule (:attr:`Experiment.schedules`), each also the
#: demo's option ``--<key>`` (dashes for underscores) that overrides it:
#: key -> what it sets.
SCHEDULE_KEYS: Dict[str, str] = dict(
    epochs='epochs of every student',
    train_subset='students train on the first N training samples (0: all)',
    teacher_epochs='epochs of the teacher',
    teacher_train_subset='the teacher trains on the first N training '
    'samples (0: all)',
    pretrain_epochs="epochs of the task's backbone pretraining before the "
    'teacher and the students (0: none; the `long` schedules of seg and '
    'det)')


def schedule_option(key: str) -> str:
    """The demo's command-line option of the schedule key ``key``."""
    return '--' + key.replace('_', '-')


@dataclass(frozen=True)
class Sweep:
    """A validation sweep of one stage (``benchmarks/sweep.py``) that the
    reading of a schedule's table needs, e.g. the evidence for a row that
    is not ahead. ``benchmarks/long_runs.sh`` runs a task's ``long``
    sweeps in its lane after the task's seed-0 stages.

    Attributes:
        stage (str): The stage's name in the table.
        variants (tuple[str]): Its ``--variant`` arguments, each
            ``'label: key=value ...'`` (no options: the stage as the
            table has it).
        why (str): What the sweep is the evidence for.
    """

    stage: str
    variants: Tuple[str, ...]
    why: str = ''

    @property
    def argv(self) -> List[str]:
        """``benchmarks/sweep.py``'s ``--stage`` and ``--variant``
        arguments."""
        argv = ['--stage', self.stage]
        for variant in self.variants:
            argv += ['--variant', variant]
        return argv


@dataclass(frozen=True)
class Experiment:
    """One task: data, metrics and stages (the teacher first).

    Attributes:
        task (str): Short name (``--task``).
        title (str): What the table measures.
        metrics (tuple[Metric]): The first is the main one (gains, plot).
        stages (tuple[Stage]): Teacher, baseline, references, methods.
        data_root (str): Default data folder.
        prepare (tuple[str]): Command (repo-relative script and arguments)
            that writes the data set into ``{data_root}``; skipped by the
            script when the data is there.
        data_options (tuple[str]): ``--cfg-options`` that point a config at
            ``{data_root}`` (beyond every dataloader's ``data_root``).
        schedules (dict): Named schedules, each ``epochs``,
            ``train_subset``, ``teacher_epochs``, ``teacher_train_subset``
            (0: the whole training split) and, optionally,
            ``pretrain_epochs`` (> 0: first pretrain the backbones of
            ``pretrain`` for that many epochs): :data:`SCHEDULE_KEYS`;
            ``'short'`` is the demo's.
        pretrain (dict): Role (``'teacher'``, ``'student'``) -> config of
            a classification model whose ``backbone.`` weights initialise
            that role's backbone when the schedule has ``pretrain_epochs``
            (the teacher; the plain student and every distilled student).
            Trained on ``pretrain_data_root``.
        pretrain_data_root (str): Default data folder of the pretraining.
        pretrain_prepare (tuple[str]): Command that writes the
            pretraining data into ``{data_root}`` (as ``prepare``).
        results_file (str): The task's results file in
            ``benchmarks/results/`` (``benchmarks/quality.py``); default
            ``<task>.md``.
        work_dir (str): The demo's default work dir; default
            ``work_dirs/demo_<task>``.
        sweeps (dict): Schedule name -> the validation sweeps
            (:class:`Sweep`) its reading needs.
    """

    task: str
    title: str
    metrics: Tuple[Metric, ...]
    stages: Tuple[Stage, ...]
    data_root: str
    prepare: Tuple[str, ...] = ()
    data_options: Tuple[str, ...] = ()
    schedules: Dict[str, Dict[str, int]] = field(default_factory=dict)
    pretrain: Dict[str, str] = field(default_factory=dict)
    pretrain_data_root: str = 'data/fashion_mnist'
    pretrain_prepare: Tuple[str, ...] = ()
    results_file: str = ''
    work_dir: str = ''
    sweeps: Dict[str, Tuple[Sweep, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.results_file:
            object.__setattr__(self, 'results_file', f'{self.task}.md')
        if not self.work_dir:
            object.__setattr__(self, 'work_dir', f'work_dirs/demo_{self.task}')
        roles = sorted(set(self.pretrain) - {'teacher', 'student'})
        if roles:
            raise ValueError(f'Experiment {self.task!r}: pretrain roles are '
                             f"'teacher' and 'student', got {roles}")
        for name, schedule in self.schedules.items():
            unknown = sorted(set(schedule) - set(SCHEDULE_KEYS))
            if unknown:
                raise ValueError(
                    f'Experiment {self.task!r}: schedule {name!r} has '
                    f'unknown keys {unknown}; a schedule sets '
                    f'{sorted(SCHEDULE_KEYS)}')
        kinds = [s.kind for s in self.stages]
        if kinds[:1] != ['teacher'] or kinds.count('teacher') != 1 or \
                kinds.count('baseline') != 1:
            raise ValueError(
                f'Experiment {self.task!r}: the first stage must be the '
                f'(only) teacher and one stage the baseline; got {kinds}.')
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ValueError(f'Experiment {self.task!r}: stage names must '
                             f'be unique, got {names}')
        for schedule, sweeps in self.sweeps.items():
            for sweep in sweeps:
                if schedule not in self.schedules or \
                        sweep.stage not in names[1:] or \
                        len(sweep.variants) < 2 or \
                        any('\n' in v for v in sweep.variants):
                    raise ValueError(
                        f'Experiment {self.task!r}: sweep {sweep} of '
                        f'schedule {schedule!r} needs a schedule of the '
                        f'experiment ({sorted(self.schedules)}), a student '
                        f'stage ({names[1:]}) and two variants or more, '
                        f'each on one line')

    @property
    def teacher(self) -> Stage:
        return self.stages[0]

    @property
    def defaults(self) -> Dict[str, int]:
        """The demo's schedule (``'short'``)."""
        return self.schedules.get('short', {})

    def with_stages(self, *stages: Stage) -> 'Experiment':
        """This experiment with ``stages`` after its own (e.g. a new
        method, or a sweep point)."""
        return replace(self, stages=self.stages + tuple(stages))


#: The distillation stages of every task: (row name, method folder,
#: config prefix, kind). A task's configs are
#: ``configs/<folder>/<prefix>_<pair>.py``.
_METHODS = (
    ('KD', 'kd', 'kd', 'reference'),
    ('feature MSE', 'fitnet', 'fitnet', 'reference'),
    ('OFD', 'ofd', 'ofd', 'method'),
    ('TOFD', 'tofd', 'tofd', 'method'),
    ('PEFD', 'pefd', 'pefd', 'method'),
    ('ND (KD++)', 'nd', 'nd-kdpp', 'method'),
)


def _stages(
    teacher: str, student: str, data: str, pair: Optional[str] = None,
    nd: Tuple[str, str] = ('ND (KD++)', 'nd-kdpp')
) -> Tuple[Stage, ...]:
    """One task's stages, named by the configs' naming rule: its teacher
    ``configs/fashion_mnist/teacher_<teacher>_<data>.py`` and plain student
    ``.../student_<student>_<data>.py``, then each of :data:`_METHODS`
    (``configs/<folder>/<prefix>_<pair>_<data>.py``; TOFD's teacher heads
    ``configs/tofd/tofd-teacher-heads_<teacher>_<data>.py``).

    Args:
        teacher (str): The teacher model's name (e.g. ``'resnet18-w32'``).
        student (str): The student model's name.
        data (str): The data set's name (e.g. ``'fmnist'``).
        pair (str, optional): The pair's name in the methods' configs;
            defaults to ``<teacher>_<student>``.
        nd (tuple[str, str]): ND's row name and config prefix (ND without
            KD where the task has no image-level logits).
    """
    pair = f'{pair or f"{teacher}_{student}"}_{data}'
    teacher_heads = f'{teacher}_{data}'
    teacher, student = f'teacher_{teacher}_{data}', f'student_{student}_{data}'
    stages = [
        Stage('teacher', f'configs/fashion_mnist/{teacher}.py', 'teacher'),
        Stage('student (baseline)', f'configs/fashion_mnist/{student}.py',
              'baseline')
    ]
    for name, folder, prefix, kind in _METHODS:
        if folder == 'nd':
            name, prefix = nd
        heads = (f'configs/tofd/tofd-teacher-heads_{teacher_heads}.py'
                 if folder == 'tofd' else None)
        stages.append(
            Stage(name, f'configs/{folder}/{prefix}_{pair}.py', kind,
                  teacher_heads=heads))
    return tuple(stages)


#: Writes Fashion-MNIST with its held-out split (``heldout/``) into
#: ``{data_root}``; skipped when it is there.
_FMNIST_PREPARE = ('tools/prepare_fashion_mnist.py', '--out', '{data_root}')

#: The data sets: an experiment's ``data_root`` and ``prepare``.
_FMNIST = dict(data_root='data/fashion_mnist', prepare=_FMNIST_PREPARE)
#: Unpacks Fashion-MNIST (Debian's files) into data/fashion_mnist first
#: when needed; reuses a complete data set.
_SCENES = dict(
    data_root='data/fmnist_scenes',
    prepare=('tools/prepare_fmnist_scenes.py', '--out', '{data_root}'))


def _fmnist_scenes_pretrain(teacher: str, student: str) -> dict:
    """The scenes' analogue of ImageNet pretraining: an experiment's
    ``pretrain`` (role -> config that trains the role's backbone on the
    garments, Fashion-MNIST training images 0-54999) and
    ``pretrain_prepare``."""
    folder = 'configs/fashion_mnist'
    return dict(
        pretrain=dict(
            teacher=f'{folder}/pretrain_{teacher}-backbone_fmnist.py',
            student=f'{folder}/pretrain_{student}-backbone_fmnist.py'),
        pretrain_prepare=_FMNIST_PREPARE)


#: task -> experiment
EXPERIMENTS: Dict[str, Experiment] = {
    'cls':
    Experiment(
        task='cls',
        title='Fashion-MNIST test set (10k images)',
        metrics=(Metric('accuracy/top1', 'top-1 (%)'), ),
        stages=_stages('resnet18-w32', 'resnet18-w8', 'fmnist'),
        **_FMNIST,
        results_file='fashion_mnist.md',
        work_dir='work_dirs/demo',
        schedules=dict(
            short=dict(epochs=2, train_subset=15000, teacher_epochs=3,
                       teacher_train_subset=20000),
            # all 55k training images (the rest is the validation
            # split); E=10 is checked against 2E on the validation split
            # (benchmarks/long_runs.sh)
            long=dict(epochs=10, train_subset=0, teacher_epochs=10,
                      teacher_train_subset=0))),
    'seg':
    Experiment(
        task='seg',
        title='Fashion-MNIST scenes test split (2000 scenes, 64x64)',
        # mmseg's IoUMetric logs percent already
        metrics=(Metric('mIoU', 'mIoU (%)'), ),
        stages=_stages('deeplabv3plus-r18w16', 'deeplabv3plus-r18w5',
                       'fmnist-scenes', pair='deeplabv3plus-r18w16_r18w5'),
        **_SCENES,
        results_file='fmnist_scenes_seg.md',
        schedules=dict(
            # the single-seed demo (its measured time: README)
            short=dict(epochs=2, train_subset=0, teacher_epochs=8,
                       teacher_train_subset=0),
            # converged-evidence runs (benchmarks/long_runs.sh); E is
            # checked against 2E on the validation split there (E=12 was
            # 0.88 mIoU behind 2E=24, E=24 1.74 behind 2E=48, so E=48,
            # checked against 96); the backbones pretrained first, as the
            # papers run DeepLabV3+
            long=dict(epochs=48, train_subset=0, teacher_epochs=48,
                      teacher_train_subset=0, pretrain_epochs=5)),
        sweeps=dict(long=(Sweep(
            'KD', ('weight 1 (config):',
                   'weight 0.3: model.distill_losses.loss_kd.loss_weight=0.3',
                   'weight 0.1: model.distill_losses.loss_kd.loss_weight=0.1'),
            why='KD at E with the config\'s weight 1 is not ahead of the '
            'plain student; its term is still 30% of the loss at the end '
            '(benchmarks/results/fmnist_scenes_seg.md)'), )),
        **_fmnist_scenes_pretrain('deeplabv3plus-r18w16',
                                  'deeplabv3plus-r18w5')),
    'det':
    Experiment(
        task='det',
        title='Fashion-MNIST scenes test split (2000 scenes, 64x64), '
        'COCO box mAP',
        # mmdet's CocoMetric logs fractions
        metrics=(Metric('coco/bbox_mAP', 'mAP (%)',
                        100.0), Metric('coco/bbox_mAP_50', 'mAP@0.5 (%)',
                                       100.0)),
        stages=_stages('ssd-r18w32', 'ssd-r18w8', 'fmnist-scenes',
                       nd=('ND', 'nd')),
        **_SCENES,
        results_file='fmnist_scenes_det.md',
        # CocoMetric reads its own ground truth from a path that does not
        # follow the loaders' data_root
        data_options=('val_evaluator.ann_file={data_root}/annotations/'
                      'instances_val.json',
                      'test_evaluator.ann_file={data_root}/annotations/'
                      'instances_test.json'),
        schedules=dict(
            # the single-seed demo (its measured time: README): the
            # teacher 4 epochs of the 8000 scenes (1000 steps of 32), each
            # student 2 epochs of the first 4000 (250 steps)
            short=dict(epochs=2, train_subset=4000, teacher_epochs=4,
                       teacher_train_subset=0),
            # the backbones pretrained first, as the papers run SSD; E is
            # checked against 2E on the validation split
            # (benchmarks/long_runs.sh): E=12 was 2.70 mAP behind 2E=24 (2
            # threads), and at one thread E=24 0.90 behind 48, so E=48,
            # checked against 96
            long=dict(epochs=48, train_subset=0, teacher_epochs=48,
                      teacher_train_subset=0, pretrain_epochs=5)),
        **_fmnist_scenes_pretrain('ssd-r18w32', 'ssd-r18w8')),
}

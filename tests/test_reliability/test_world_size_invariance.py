"""Every distillation loss gives the same value and gradients with 2
processes (gloo, the global batch split in 2, gradients averaged over the
ranks as DDP does) as one process with the whole batch.

The 2-process run happens once per session (``torch.multiprocessing.spawn``
of two CPU workers; rendezvous through a file, so no TCP port can clash
with another run on the machine); each worker computes every case and saves
its values and input gradients. Rank 0 first runs every case alone in a
process group of world size 1 (the helpers' distributed code path with one
process). The cases are made per loss type by ``CASE_MAKERS``; every loss
registered in ``mmfeatdistill.models.losses`` must have one.
"""
import os.path as osp
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import mmfeatdistill.models  # noqa: F401 - registers the losses
from mmfeatdistill.registry import MODELS
from mmfeatdistill.utils.checkpoint import load_checkpoint_file

WORLD = 2
BATCH = 4  # global batch: 2 rows per rank

# ---------------------------------------------------------------------------
# cases


class Case(NamedTuple):
    name: str
    loss: dict  # the loss config
    inputs: Dict[str, torch.Tensor]  # forward arguments, global batch
    replicated: Tuple[str, ...] = ()  # inputs every rank gets whole
    xfail: Optional[str] = None  # known not invariant (strict xfail)


def _randn(g, *shape):
    return torch.randn(*shape, generator=g)


def _kd(g) -> List[Case]:
    return [
        Case(
            'KDLoss', dict(type='KDLoss', tau=4.0),
            dict(s_logits=_randn(g, BATCH, 10), t_logits=_randn(g, BATCH,
                                                                10))),
        Case(
            'KDLoss-dense', dict(type='KDLoss', tau=2.0),
            dict(s_logits=_randn(g, BATCH, 5, 3, 3),
                 t_logits=_randn(g, BATCH, 5, 3, 3))),
    ]


def _pair(name: str, shape, **kwargs) -> Callable:

    def make(g) -> List[Case]:
        return [
            Case(
                name, dict(type=name, **kwargs),
                dict(s_feature=_randn(g, BATCH, *shape),
                     t_feature=_randn(g, BATCH, *shape)))
        ]

    return make


def _frobenius(g) -> List[Case]:
    return [
        Case(
            'FrobeniusDistanceLoss',
            dict(type='FrobeniusDistanceLoss', loss_weight=0.05),
            dict(s_feature=_randn(g, BATCH, 8), t_feature=_randn(g, BATCH,
                                                                 8))),
        Case(
            'FrobeniusDistanceLoss-dense',
            dict(type='FrobeniusDistanceLoss', loss_weight=0.05),
            dict(s_feature=_randn(g, BATCH, 6, 3, 2),
                 t_feature=_randn(g, BATCH, 6, 3, 2))),
    ]


def _orthogonal(g) -> List[Case]:
    return [
        Case('OrthogonalLoss', dict(type='OrthogonalLoss'),
             dict(weight=_randn(g, 5, 7)), replicated=('weight', ))
    ]


def _soft_ce(g) -> List[Case]:
    return [
        Case(
            'SoftCrossEntropyLoss',
            dict(type='SoftCrossEntropyLoss', temperature=3.0),
            dict(s_logits=_randn(g, BATCH, 10), t_logits=_randn(g, BATCH,
                                                                10))),
        Case('SoftCrossEntropyLoss-multilabel',
             dict(type='SoftCrossEntropyLoss', multi_label=True),
             dict(s_logits=_randn(g, BATCH, 6), t_logits=_randn(g, BATCH, 6))),
    ]


def _label_ce(g) -> List[Case]:
    maps = torch.randint(0, 4, (BATCH, 6, 6), generator=g)
    maps[:2, :3] = 255  # rank 0 has fewer labelled pixels than rank 1
    return [
        Case(
            'LabelCrossEntropyLoss', dict(type='LabelCrossEntropyLoss'),
            dict(logits=_randn(g, BATCH, 10),
                 labels=torch.randint(0, 10, (BATCH, ), generator=g))),
        Case(
            'LabelCrossEntropyLoss-multihot',
            dict(type='LabelCrossEntropyLoss'),
            dict(logits=_randn(g, BATCH, 5),
                 labels=(torch.rand(BATCH, 5, generator=g) > 0.5).float())),
        Case('LabelCrossEntropyLoss-labelmap-ignore',
             dict(type='LabelCrossEntropyLoss'),
             dict(logits=_randn(g, BATCH, 4, 3, 3), labels=maps)),
    ]


def _nd(g) -> List[Case]:
    return [
        Case(
            'NDLoss', dict(type='NDLoss', class_means=_randn(g, 10, 8)),
            dict(s_feature=_randn(g, BATCH, 8), t_feature=_randn(g, BATCH, 8),
                 labels=torch.randint(0, 10, (BATCH, ), generator=g)))
    ]


def _dense_nd(g) -> List[Case]:
    labels = torch.randint(0, 3, (BATCH, 8, 8), generator=g)
    labels[:2, :4] = 255  # rank 0: half its pixels unlabelled
    return [
        Case(
            'DenseNDLoss', dict(type='DenseNDLoss',
                                class_means=_randn(g, 3, 6)),
            dict(s_feature=_randn(g, BATCH, 6, 4, 4),
                 t_feature=_randn(g, BATCH, 6, 4, 4), labels=labels))
    ]


def _anchor_nd(g) -> List[Case]:
    h = w = 2
    anchors = 3
    labels = torch.full((BATCH, h * w * anchors), 3)  # 3: background
    labels[0, [0, 5]] = torch.tensor([0, 2])  # rank 0: 3 positives
    labels[1, 7] = 1
    labels[2, [1, 2, 4, 8, 11]] = torch.tensor([0, 1, 2, 2, 0])  # rank 1: 6
    labels[3, 10] = 1
    return [
        Case(
            'AnchorNDLoss',
            dict(type='AnchorNDLoss', class_means=_randn(g, 3, 5)),
            dict(s_feature=_randn(g, BATCH, 5, h, w),
                 t_feature=_randn(g, BATCH, 5, h, w), labels=labels))
    ]


def _anchor_kd(g) -> List[Case]:
    """One level of 2x2 positions, 3 anchors each, 3 classes + background;
    the positives as _anchor_nd's (hard negatives are mined per image)."""
    labels = _anchor_nd(g)[0].inputs['labels']
    return [
        Case(
            'AnchorKDLoss', dict(type='AnchorKDLoss', tau=2.0),
            dict(s_scores=_randn(g, BATCH, 12, 2, 2),
                 t_scores=_randn(g, BATCH, 12, 2, 2), labels=labels))
    ]


def _anchor_ce(g) -> List[Case]:
    """TOFD's anchor heads' loss on the same level and labels: positives
    and 3x as many hard negatives per image, summed over the batch of every
    rank and divided by its positives."""
    labels = _anchor_nd(g)[0].inputs['labels']
    return [
        Case('AnchorCrossEntropyLoss', dict(type='AnchorCrossEntropyLoss'),
             dict(logits=_randn(g, BATCH, 12, 2, 2), labels=labels))
    ]


#: loss type -> function(generator) -> its cases
CASE_MAKERS: Dict[str, Callable] = {
    'KDLoss': _kd,
    'FeatureMSELoss': _pair('FeatureMSELoss', (4, 3, 3)),
    'OFDLoss': _pair('OFDLoss', (4, 3, 3), loss_weight=0.5),
    'DirectionAlignmentLoss': _pair('DirectionAlignmentLoss', (8, )),
    'FrobeniusDistanceLoss': _frobenius,
    'OrthogonalLoss': _orthogonal,
    'SoftCrossEntropyLoss': _soft_ce,
    'LabelCrossEntropyLoss': _label_ce,
    'NDLoss': _nd,
    'DenseNDLoss': _dense_nd,
    'AnchorNDLoss': _anchor_nd,
    'AnchorKDLoss': _anchor_kd,
    'AnchorCrossEntropyLoss': _anchor_ce,
}


def registered_losses() -> List[str]:
    """Loss classes registered in MODELS from mmfeatdistill.models.losses."""
    return sorted(name for name, cls in MODELS.module_dict.items()
                  if cls.__module__.startswith('mmfeatdistill.models.losses'))


def make_cases() -> List[Case]:
    """The same cases in every process (fixed seed)."""
    g = torch.Generator().manual_seed(0)
    cases = []
    for name in sorted(CASE_MAKERS):
        cases += CASE_MAKERS[name](g)
    return cases


# ---------------------------------------------------------------------------
# computing


def run_case(case: Case, rank: int = 0, world: int = 1) -> tuple:
    """(value, {input: gradient}) of this rank's share of the batch."""
    loss = MODELS.build(dict(case.loss))
    inputs = {}
    for key, value in case.inputs.items():
        if key not in case.replicated:
            value = value.chunk(world)[rank]
        value = value.clone()
        if value.is_floating_point():
            value.requires_grad_(True)
        inputs[key] = value
    out = loss(**inputs)
    out.backward()
    grads = {
        k: v.grad.clone()
        for k, v in inputs.items() if v.grad is not None
    }
    return out.detach().clone(), grads


def _worker(rank: int, world: int, tmp: str) -> None:
    torch.set_num_threads(1)
    results = {}
    if rank == 0:  # world size 1 with a process group
        dist.init_process_group('gloo', init_method=f'file://{tmp}/store1',
                                rank=0, world_size=1)
        results['world1'] = {c.name: run_case(c) for c in make_cases()}
        dist.destroy_process_group()
    dist.init_process_group('gloo', init_method=f'file://{tmp}/store2',
                            rank=rank, world_size=world)
    results['split'] = {c.name: run_case(c, rank, world) for c in make_cases()}
    dist.destroy_process_group()
    torch.save(results, osp.join(tmp, f'rank{rank}.pth'))


@pytest.fixture(scope='module')
def distributed_results(tmp_path_factory):
    """Per rank: {'split': {case: (value, grads)}} (rank 0 also
    'world1')."""
    tmp = str(tmp_path_factory.mktemp('world_size'))
    mp.spawn(_worker, args=(WORLD, tmp), nprocs=WORLD, join=True)
    return [
        load_checkpoint_file(osp.join(tmp, f'rank{r}.pth'))
        for r in range(WORLD)
    ]


def _as_ddp(case: Case, per_rank: List[tuple]) -> tuple:
    """The ranks' values averaged, and their input gradients averaged as
    DDP averages the gradients of a parameter that every rank feeds its own
    share of the batch (a replicated input: the mean of the ranks')."""
    value = sum(v for v, _ in per_rank) / len(per_rank)
    grads = {}
    for key in per_rank[0][1]:
        parts = [g[key] for _, g in per_rank]
        if key in case.replicated:
            grads[key] = sum(parts) / len(parts)
        else:
            grads[key] = torch.cat(parts) / len(parts)
    return value, grads


def _assert_same(case: Case, got: tuple, single: tuple) -> None:
    value, grads = got
    torch.testing.assert_close(value, single[0], rtol=1e-6, atol=1e-6,
                               msg=lambda m: f'{case.name} value: {m}')
    assert grads.keys() == single[1].keys(), case.name
    for key in grads:
        torch.testing.assert_close(
            grads[key], single[1][key], rtol=1e-5, atol=1e-6,
            msg=lambda m: f'{case.name} gradient of {key}: {m}')


CASES = make_cases()


def test_every_registered_loss_has_a_case():
    assert sorted(CASE_MAKERS) == registered_losses(), (
        'add an input maker to CASE_MAKERS for each new loss')


@pytest.mark.parametrize('name', [
    pytest.param(c.name, marks=pytest.mark.xfail(strict=True, reason=c.xfail))
    if c.xfail else c.name for c in CASES
])
def test_two_processes_equal_one(name, distributed_results):
    case = next(c for c in CASES if c.name == name)
    single = run_case(case)
    per_rank = [r['split'][name] for r in distributed_results]
    _assert_same(case, _as_ddp(case, per_rank), single)
    if case.loss['type'] == 'FrobeniusDistanceLoss':
        # the global-batch norm on every rank, not the rank's own part's
        for value, _ in per_rank:
            torch.testing.assert_close(value, single[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('name', [c.name for c in CASES])
def test_process_group_of_one_equals_no_group(name, distributed_results):
    case = next(c for c in CASES if c.name == name)
    _assert_same(case, distributed_results[0]['world1'][name], run_case(case))

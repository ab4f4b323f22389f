"""Gradient accumulation (``optim_wrapper.accumulative_counts``) trains as
the larger batch.

* Loss level: every registered distillation loss, on two micro-batches
  (each loss divided by 2, as MMEngine's ``OptimWrapper`` scales it),
  gives the gradients of the whole batch, except the losses normalised
  over the batch as a whole (a norm over the batch, a mean over a
  data-dependent number of pixels or anchors), which are listed with the
  reason and shown to differ (docs/distributed.md).
* Runner level: OFD (with its connector warm-up) and KD (with an
  iteration-based ramp of its weight) on a BN-free student (GroupNorm;
  the teacher's BN in eval mode, connectors without BN, since batch
  statistics differ with the batch size) train to the same weights with
  batch 4 and 2 accumulated iterations as with batch 8, because the
  warm-up and the ramp count optimizer steps, not iterations.
"""
import logging
import os.path as osp
from typing import Dict, List

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub, MMLogger
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import Runner

from mmfeatdistill.engine.hooks import AccumulationInfoHook
from mmfeatdistill.models.distillers.loss_schedules import (apply_schedules,
                                                            build_schedules)
from mmfeatdistill.utils import (ACCUMULATIVE_COUNTS, accumulative_counts,
                                 optimizer_steps, unwrap_model)
from tests.helpers import (config_path, fast_runner_cfg,
                           make_fake_fashion_mnist, save_distill_teacher)
from tests.test_reliability.test_world_size_invariance import (CASES, _as_ddp,
                                                               _assert_same,
                                                               run_case)

ACCUMULATED = 2

# ---------------------------------------------------------------------------
# optimizer steps


def test_optimizer_steps_of_iterations():
    # 5 iterations, 2 per step: steps 0, 0, 1, 1 and the remainder step 2
    assert [optimizer_steps(i, 5, 2)[0] for i in range(5)] == [0, 0, 1, 1, 2]
    assert optimizer_steps(0, 5, 2)[1] == 3
    assert optimizer_steps(3, 4, 1) == (3, 4)
    assert optimizer_steps(7, None, 4) == (1, None)
    for bad in (0, True, 1.0):
        with pytest.raises(ValueError, match='positive int'):
            optimizer_steps(0, 4, bad)


def test_accumulative_counts_of_optim_wrappers():
    param = torch.nn.Parameter(torch.zeros(2))

    def wrapper(counts: int) -> OptimWrapper:
        return OptimWrapper(torch.optim.SGD([param], lr=0.1),
                            accumulative_counts=counts)

    assert accumulative_counts(wrapper(3)) == 3
    assert accumulative_counts(OptimWrapperDict(a=wrapper(2),
                                                b=wrapper(2))) == 2
    with pytest.raises(ValueError, match='different numbers'):
        accumulative_counts(OptimWrapperDict(a=wrapper(2), b=wrapper(1)))


def test_iteration_schedules_count_optimizer_steps():
    """A ``LinearRamp`` over 2 steps with 2 iterations per step: iterations
    0 and 1 share step 0's value, 2 and 3 step 1's; by epoch it is not
    affected. Without the hub's number (no AccumulationInfoHook), one
    warning and iterations are counted."""
    losses = torch.nn.ModuleDict(
        dict(loss_a=torch.nn.Module(), loss_b=torch.nn.Module()))
    losses.loss_a.loss_weight = 2.0
    losses.loss_b.loss_weight = 1.0
    schedules = build_schedules(
        losses,
        dict(
            loss_a=dict(loss_weight=dict(type='LinearRamp', start=0.0,
                                         length=2, by_epoch=False)),
            loss_b=dict(loss_weight=dict(type='LinearRamp', start=0.0,
                                         by_epoch=False))))
    hub = MessageHub.get_instance('test_accumulation_schedules')
    hub.update_info_dict(dict(epoch=0, max_epochs=1, max_iters=8))

    def weights(counts) -> List[tuple]:
        if counts is not None:
            hub.update_info(ACCUMULATIVE_COUNTS, counts)
        values = []
        for it in range(4):
            hub.update_info('iter', it)
            apply_schedules(schedules)
            values.append(
                (losses.loss_a.loss_weight, losses.loss_b.loss_weight))
        return values

    # loss_b ramps over the whole run: 8 iterations, 4 optimizer steps
    assert weights(ACCUMULATED) == [(1.0, 0.25), (1.0, 0.25), (2.0, 0.5),
                                    (2.0, 0.5)]
    assert weights(1) == [(1.0, 0.125), (2.0, 0.25), (2.0, 0.375), (2.0, 0.5)]


class _Messages(logging.Handler):
    """The messages logged through it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_no_accumulation_info_warns_once():
    losses = torch.nn.ModuleDict(dict(loss_a=torch.nn.Module()))
    losses.loss_a.loss_weight = 2.0
    schedules = build_schedules(
        losses,
        dict(loss_a=dict(
            loss_weight=dict(type='LinearRamp', length=2, by_epoch=False))))
    hub = MessageHub.get_instance('test_accumulation_no_info')
    hub.update_info_dict(dict(iter=0, max_iters=4))
    logger, logged = MMLogger.get_current_instance(), _Messages()
    logger.addHandler(logged)
    try:
        apply_schedules(schedules)
        apply_schedules(schedules)
    finally:
        logger.removeHandler(logged)
    assert sum('no AccumulationInfoHook' in m
               for m in logged.messages) == 1, logged.messages
    assert losses.loss_a.loss_weight == 1.0  # iteration 0 of 2


# ---------------------------------------------------------------------------
# loss level

#: losses normalised over the batch as a whole: accumulated micro-batches
#: cannot give the whole batch's value or gradients
NOT_ACCUMULABLE: Dict[str, str] = {
    'FrobeniusDistanceLoss':
    'TOFD: a norm over the whole batch, not a mean per sample',
    'FrobeniusDistanceLoss-dense':
    'TOFD: a norm over the whole batch, not a mean per sample',
    'LabelCrossEntropyLoss-labelmap-ignore':
    'a mean over the labelled pixels, whose number differs per micro-batch',
    'DenseNDLoss':
    'a mean over the labelled pixels, whose number differs per micro-batch',
    'AnchorNDLoss':
    'a mean over the positive anchors, whose number differs per '
    'micro-batch',
    'AnchorKDLoss':
    'a mean over the selected anchors, whose number differs per '
    'micro-batch',
    'AnchorCrossEntropyLoss':
    'TOFD on SSD: a sum over the chosen anchors per positive anchor, '
    'whose number differs per micro-batch',
}


def accumulated(case) -> tuple:
    """The case's value and input gradients over ``ACCUMULATED``
    micro-batches, each loss divided by their number (MMEngine's
    ``OptimWrapper.scale_loss``): the gradients add up in the inputs as
    in accumulated parameters; no process group."""
    micro = [run_case(case, i, ACCUMULATED) for i in range(ACCUMULATED)]
    # the sum of loss_i / N is the mean of the micro-batches' values, and
    # each input's gradient is its micro-batch's over N: DDP's averaging
    return _as_ddp(case, micro)


def test_every_not_accumulable_case_exists():
    assert set(NOT_ACCUMULABLE) <= {c.name for c in CASES}


@pytest.mark.parametrize('name', [
    pytest.param(
        c.name, marks=pytest.mark.xfail(strict=True,
                                        reason=NOT_ACCUMULABLE[c.name]))
    if c.name in NOT_ACCUMULABLE else c.name for c in CASES
])
def test_accumulated_micro_batches_equal_the_batch(name):
    case = next(c for c in CASES if c.name == name)
    assert not torch.distributed.is_initialized()
    _assert_same(case, accumulated(case), run_case(case))


# ---------------------------------------------------------------------------
# runner level


class ScheduleProbe(Hook):
    """Records, per training iteration, whether the student trains (after
    the connector warm-up decided) and the scheduled loss weights."""

    priority = 'LOW'

    def __init__(self) -> None:
        self.student_trains: List[bool] = []
        self.weights: List[Dict[str, float]] = []
        self.initial: Dict[str, torch.Tensor] = {}

    def before_train(self, runner) -> None:
        self.initial = state_copy(runner.model)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        student = unwrap_model(runner.model).student
        self.student_trains.append(
            any(p.requires_grad for p in student.parameters()))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        model = unwrap_model(runner.model)
        self.weights.append({
            name: loss.loss_weight
            for name, loss in model.distill_losses.items()
        })


def bn_free(cfg: Config, method: str) -> Config:
    """The pair without batch statistics: GroupNorm in the student, the
    teacher's BN in eval mode, OFD's student connectors without BN; OFD
    warms its connectors up for 1 optimizer step, KD ramps its weight over
    2 optimizer steps."""
    cfg.model.student.backbone.norm_cfg = dict(type='GN', num_groups=4)
    cfg.model.teacher_norm_eval = True
    if method == 'ofd':
        for name, connector in cfg.model.connectors.items():
            if connector.type == 'OFDStudentConnector':
                cfg.model.connectors[name] = dict(
                    type='ConvConnector', in_channels=connector.in_channels,
                    out_channels=connector.out_channels)
        cfg.custom_hooks = [dict(type='ConnectorWarmupHook', warmup_iters=1)]
    else:
        cfg.model.schedules = dict(loss_kd=dict(loss_weight=dict(
            type='LinearRamp', start=0.0, length=2, by_epoch=False)))
    return cfg


def train(path: str, tmp_path, name: str, batch_size: int,
          counts: int) -> tuple:
    """Train 16 unshuffled images once in batches of ``batch_size``,
    ``counts`` iterations per optimizer step; returns the final state dict
    and the probe."""
    data = osp.join(str(tmp_path), 'data')
    base = Config.fromfile(path)
    work = str(tmp_path / name)
    cfg = fast_runner_cfg(base, work, data, max_iters=16 // batch_size,
                          batch_size=batch_size)
    cfg = bn_free(cfg, 'ofd' if 'ofd' in path else 'kd')
    cfg.model.teacher_ckpt = str(tmp_path / 'teacher.pth')
    cfg.train_dataloader.sampler.shuffle = False
    cfg.train_cfg.val_interval = 1000  # no validation
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.default_hooks.checkpoint = None
    cfg.optim_wrapper.accumulative_counts = counts
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    assert sum(isinstance(h, AccumulationInfoHook)
               for h in runner.hooks) == 1  # from the runtime base
    probe = ScheduleProbe()
    runner.register_hook(probe)
    runner.train()
    return state_copy(runner.model), probe


def state_copy(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {
        k: v.detach().clone()
        for k, v in unwrap_model(model).state_dict().items()
    }


@pytest.mark.parametrize('method,rel', [
    ('ofd', 'ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py'),
    ('kd', 'kd/kd_resnet18-w32_resnet18-w8_fmnist.py'),
])
def test_accumulation_trains_as_the_larger_batch(method, rel, tmp_path):
    """Batch 4 with 2 accumulated iterations (4 iterations, 2 optimizer
    steps) ends with the weights of batch 8 (2 iterations and steps): the
    losses are means per sample (OFD's per-image sum is divided by the
    batch size), and OFD's connector warm-up and KD's weight ramp follow
    the optimizer steps (iterations 0-1 are step 0)."""
    path = config_path(rel)
    torch.set_num_threads(1)
    make_fake_fashion_mnist(str(tmp_path / 'data'), 16, 8,
                            mirror_symmetric=True)  # RandomFlip: no change
    save_distill_teacher(path, Config.fromfile(path), tmp_path)
    big, big_probe = train(path, tmp_path, 'batch8', 8, 1)
    acc, acc_probe = train(path, tmp_path, 'batch4x2', 4, ACCUMULATED)

    if method == 'ofd':
        assert big_probe.student_trains == [False, True]
        assert acc_probe.student_trains == [False, False, True, True]
    else:
        assert [w['loss_kd'] for w in big_probe.weights] == [0.5, 1.0]
        assert [w['loss_kd']
                for w in acc_probe.weights] == [0.5, 0.5, 1.0, 1.0]
    assert big.keys() == acc.keys()
    for key, value in big.items():
        torch.testing.assert_close(acc[key], value, rtol=1e-4, atol=1e-6,
                                   msg=lambda m: f'{key}: {m}')
    # the runs started alike and trained the student and the connectors
    for key, value in acc_probe.initial.items():
        assert torch.equal(big_probe.initial[key], value), key
    trained = {
        k.split('.')[0]
        for k, v in acc.items() if not torch.allclose(
            v.float(), acc_probe.initial[k].float(), rtol=1e-3, atol=1e-5)
    }
    assert trained == ({'student', 'connectors'}
                       if method == 'ofd' else {'student'}), trained

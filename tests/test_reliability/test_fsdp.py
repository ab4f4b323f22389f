"""Sharded training of the distiller: ``runner_type='FlexibleRunner'`` with
``DistillerFSDPStrategy``, 2 CPU processes (gloo), through
``tools/train.py --launcher pytorch``.

One launch (``torch.multiprocessing.spawn`` of 2 workers, one process
group) trains, for OFD (connectors, sharded teacher), TOFD (auxiliary
heads, replicated teacher) and ND (class means, sharded teacher), one
epoch of 2 iterations three times: the DDP run (MMEngine's Runner), the
FSDP run (a checkpoint after each iteration) and the FSDP run resumed from
its checkpoint in the middle of the epoch. The tests then compare the
ranks' first-step losses and the final weights with the DDP run's, the
resumed run's final checkpoint with the uninterrupted one's, ND's class
means with the DDP run's, and export the student of the FSDP checkpoint
into a plain mmpretrain model.
"""
import json
import os
import os.path as osp
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
import torch.multiprocessing as mp
from mmengine.config import Config

from mmfeatdistill.tools.export_student import main as export_main
from tests.helpers import (config_path, make_fake_fashion_mnist,
                           save_distill_teacher)
from tests.test_reliability.test_distributed import (PER_PROCESS_BATCH,
                                                     first_step_config,
                                                     free_port,
                                                     read_first_steps)

WORLD = 2
#: method -> (config, the strategy's shard_teacher)
METHODS = {
    'ofd': ('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py', True),
    'tofd': ('tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py', False),
    'nd': ('nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py', True),
}
#: the runs of each method, in order
RUNS = ('ddp', 'fsdp', 'resumed')


def fsdp_options(shard_teacher: bool) -> List[str]:
    """``--cfg-options`` that train a config sharded."""
    return [
        'runner_type=FlexibleRunner',
        'strategy.type=mmfeatdistill.DistillerFSDPStrategy',
        f'strategy.shard_teacher={shard_teacher}'
    ]


def method_jobs(method: str, root: str,
                data_root: str) -> List[Tuple[str, List[str]]]:
    """The ``tools/train.py`` argument lists of a method's three runs (in
    order: DDP, FSDP, FSDP resumed) on the images in ``data_root``, their
    teacher and work dirs in ``root``."""
    rel, shard_teacher = METHODS[method]
    path = config_path(rel)
    ckpt = save_distill_teacher(path, Config.fromfile(path), root)
    run_cfg = first_step_config(path, Path(root))
    common = [
        f'model.teacher_ckpt={ckpt}', 'param_scheduler=[]',
        'default_hooks.logger.interval=1', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1'
    ]
    jobs = []
    for run in RUNS:
        work = osp.join(root, run)
        opts = common + [
            f'experiment_name={method}_{run}',
            f'visualizer.name=visualizer:{work}'
        ]
        # only the FSDP run validates (the sharded student's predictions)
        loaders = ['train_dataloader']
        if run == 'fsdp':
            loaders.append('val_dataloader')
        else:
            opts += [
                'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None'
            ]
        # checkpoints: FSDP's after each iteration, DDP's at the end
        opts += [
            f'default_hooks.checkpoint.interval={2 if run == "ddp" else 1}',
            'default_hooks.checkpoint.by_epoch=False'
        ]
        for loader in loaders:
            # 32 images, 8 per process and step: 2 iterations
            opts += [
                f'{loader}.dataset.data_root={data_root}',
                f'{loader}.num_workers=0',
                f'{loader}.batch_size={PER_PROCESS_BATCH}',
                f'{loader}.persistent_workers=False'
            ]
        if method == 'nd':
            # each run computes its own (the resumed run loads them)
            opts.append('model.distill_losses.loss_nd.class_means='
                        f'{osp.join(root, run + "_class_means.pth")}')
        if run != 'ddp':
            opts += fsdp_options(shard_teacher)
        argv = [run_cfg, '--launcher', 'pytorch', '--work-dir', work]
        if run == 'resumed':
            argv += ['--resume', osp.join(root, 'fsdp', 'iter_1.pth')]
        jobs.append((run, argv + ['--cfg-options', *opts]))
    return jobs


def shard_sizes(runner) -> Dict[str, object]:
    """Numbers of the student's and the teacher's parameter elements this
    rank holds after training (outside a forward FSDP keeps its shard),
    and whether the run validated."""
    from mmfeatdistill.utils import unwrap_model
    model = unwrap_model(runner.model)
    sizes: Dict[str, object] = {
        part: sum(p.numel() for p in getattr(model, part).parameters())
        for part in ('student', 'teacher')
    }
    sizes['validated'] = 'val/accuracy/top1' in runner.message_hub.log_scalars
    return sizes


def _worker(rank: int, port: int, jobs: Dict[str, list], out: str) -> None:
    """One of the 2 processes: the environment ``torch.distributed.run``
    gives (rendezvous on ``127.0.0.1:port``), then every job through
    ``tools/train.py``'s ``main`` in order; writes what
    :func:`shard_sizes` found to ``out/sizes_rank<R>.json``."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(WORLD), MASTER_ADDR='127.0.0.1',
                      MASTER_PORT=str(port), GLOO_SOCKET_IFNAME='lo',
                      OMP_NUM_THREADS='1')
    torch.set_num_threads(1)
    # MMEngine's distributed evaluation writes .dist_test/ in the cwd
    os.chdir(out)
    from mmfeatdistill.tools.train import main as train_main
    sizes = {}
    for method, runs in jobs.items():
        for run, argv in runs:
            sizes[f'{method}/{run}'] = shard_sizes(train_main(argv))
    with open(osp.join(out, f'sizes_rank{rank}.json'), 'w') as f:
        json.dump(sizes, f)


@pytest.fixture(scope='module')
def fsdp_runs(tmp_path_factory) -> Dict[str, object]:
    """Every method's three runs, in one launch of 2 processes: returns
    ``root`` (the methods' folders) and the ranks' ``sizes``."""
    root = str(tmp_path_factory.mktemp('fsdp'))
    data_root = make_fake_fashion_mnist(osp.join(root, 'data'), 32, 8,
                                        mirror_symmetric=True)
    jobs = {}
    for method in METHODS:
        os.makedirs(osp.join(root, method))
        jobs[method] = method_jobs(method, osp.join(root, method), data_root)
    mp.spawn(_worker, args=(free_port(), jobs, root), nprocs=WORLD, join=True)
    sizes = []
    for rank in range(WORLD):
        with open(osp.join(root, f'sizes_rank{rank}.json')) as f:
            sizes.append(json.load(f))
    return dict(root=root, sizes=sizes)


def full_sizes(method: str) -> Dict[str, int]:
    """The student's and the teacher's numbers of parameter elements."""
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.utils import resolve_model_cfg
    cfg = Config.fromfile(config_path(METHODS[method][0]))
    return {
        part:
        sum(p.numel() for p in MODELS.build(
            resolve_model_cfg(dict(cfg.model[part], load_pretrained=False),
                              part)).parameters())
        for part in ('student', 'teacher')
    }


@pytest.mark.parametrize('method', sorted(METHODS))
def test_fsdp_first_step_equals_ddp(method, fsdp_runs):
    """Each rank's first step under FSDP: the same batch, the same starting
    weights (digest of the full state dict) and the same losses, to a
    relative 1e-5, as the DDP run's; each rank holds half of the student
    (and of a sharded teacher), the whole of a replicated one."""
    root = osp.join(fsdp_runs['root'], method)
    ddp = read_first_steps(osp.join(root, 'ddp'), WORLD)
    fsdp = read_first_steps(osp.join(root, 'fsdp'), WORLD)
    for rank, (got, want) in enumerate(zip(fsdp, ddp)):
        assert got['sample_idx'] == want['sample_idx'], rank
        assert got['weights'] == want['weights'], rank
        assert got['losses'].keys() == want['losses'].keys(), rank
        for key, value in want['losses'].items():
            assert got['losses'][key] == pytest.approx(
                value, rel=1e-5), (rank, key, got['losses'][key], value)
    full = full_sizes(method)
    shard_teacher = METHODS[method][1]
    ranks = [s[f'{method}/fsdp'] for s in fsdp_runs['sizes']]
    assert all(r['validated'] for r in ranks), ranks
    # FSDP pads the flat parameter to a multiple of the world size
    assert sum(r['student'] for r in ranks) == full['student'], ranks
    assert all(r['student'] <= full['student'] // WORLD + 1 for r in ranks)
    if shard_teacher:
        assert sum(r['teacher'] for r in ranks) == full['teacher'], ranks
    else:
        assert all(r['teacher'] == full['teacher'] for r in ranks), ranks


def load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


@pytest.mark.parametrize('method', sorted(METHODS))
def test_fsdp_resume_exact(method, fsdp_runs):
    """The run resumed from its checkpoint in the middle of the epoch
    (iteration 1 of 2) ends with the uninterrupted run's weights, buffers
    and optimizer state, exactly. The checkpoint holds the full
    (unsharded) state dict under the distiller's own names and the full
    optimizer state, without the teacher."""
    root = osp.join(fsdp_runs['root'], method)
    # it trained iteration 2 only (a run from scratch would end with the
    # same weights)
    assert sorted(f for f in os.listdir(osp.join(root, 'resumed'))
                  if f.endswith('.pth')) == ['iter_2.pth']
    assert not osp.exists(osp.join(root, 'resumed', 'first_step_rank0.json'))
    want = load(osp.join(root, 'fsdp', 'iter_2.pth'))
    got = load(osp.join(root, 'resumed', 'iter_2.pth'))
    assert want['meta']['iter'] == got['meta']['iter'] == 2
    assert got['state_dict'].keys() == want['state_dict'].keys()
    assert not any('_fsdp' in k for k in want['state_dict'])
    for key, value in want['state_dict'].items():
        assert torch.equal(got['state_dict'][key], value), key
    assert got['optimizer']['state'].keys() == \
        want['optimizer']['state'].keys()
    assert want['optimizer']['state'], 'no optimizer state saved'
    # the full optimizer state, by parameter names: the student's, the
    # teacher's never (frozen, out of the optimizer)
    names = [n for g in want['optimizer']['param_groups'] for n in g['params']]
    assert any(n.startswith('student.') for n in names), names
    assert not any(n.startswith('teacher.') for n in names), names
    for name, state in want['optimizer']['state'].items():
        for key, value in state.items():
            assert torch.equal(
                torch.as_tensor(got['optimizer']['state'][name][key]),
                torch.as_tensor(value)), (name, key)
    # the second iteration trained: the checkpoint differs from the first
    first = load(osp.join(root, 'fsdp', 'iter_1.pth'))['state_dict']
    assert any(not torch.equal(first[k], v)
               for k, v in want['state_dict'].items())


def test_fsdp_export_student_loads_in_mmpretrain(fsdp_runs, tmp_path):
    """``tools/export_student.py`` on the FSDP run's checkpoint writes the
    whole student, which mmpretrain's own model loads strictly."""
    from mmfeatdistill.registry import MODELS
    from mmfeatdistill.utils import resolve_model_cfg
    path = osp.join(fsdp_runs['root'], 'ofd', 'fsdp', 'iter_2.pth')
    out = export_main([path, str(tmp_path / 'student.pth')])
    exported = load(out)['state_dict']
    cfg = Config.fromfile(config_path(METHODS['ofd'][0]))
    student = MODELS.build(
        resolve_model_cfg(dict(cfg.model.student, load_pretrained=False),
                          'student'))
    assert type(student).__module__.startswith('mmpretrain.'), student
    student.load_state_dict(exported, strict=True)
    distiller = load(path)['state_dict']
    for key, value in student.state_dict().items():
        assert torch.equal(value, distiller['student.' + key]), key


def test_fsdp_nd_class_means_equal_ddp(fsdp_runs):
    """ND's class means, computed before training through the sharded
    teacher, equal the DDP run's, and record the same teacher fingerprint
    (computed from the full weights before wrapping)."""
    from mmfeatdistill.models.losses.nd_class_means import read_class_means
    root = osp.join(fsdp_runs['root'], 'nd')
    want = read_class_means(osp.join(root, 'ddp_class_means.pth'))
    got = read_class_means(osp.join(root, 'fsdp_class_means.pth'))
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, torch.Tensor):
            torch.testing.assert_close(got[key], value, rtol=1e-6, atol=0)
        else:
            assert got[key] == value, key


@pytest.mark.parametrize('method', sorted(METHODS))
def test_fsdp_trains_as_ddp(method, fsdp_runs):
    """After the 2 iterations (the second with BN in train mode), rank 0's
    FSDP checkpoint holds the DDP run's weights: the sharded student's
    gradients (FSDP's reduce-scatter) and the replicated connectors' and
    heads' (``ShardedDistiller.sync_replicated_grads``) are averaged over
    the ranks as DDP averages them. Only the order of the floating-point
    sums differs."""
    root = osp.join(fsdp_runs['root'], method)
    want = load(osp.join(root, 'ddp', 'iter_2.pth'))['state_dict']
    got = load(osp.join(root, 'fsdp', 'iter_2.pth'))['state_dict']
    assert got.keys() == want.keys()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-5, atol=1e-6,
                                   msg=lambda m: f'{key}: {m}')

"""tools/dist_train.sh: 2 processes on CPU (gloo) train every method's
config for a few iterations and finish cleanly; rank 0 alone writes the
checkpoint; the first step's losses equal a single-process run's with the
same global batch."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmfeatdistill.tools.train import main as train_main
from tests.first_step_hook import json_path
from tests.helpers import (REPO, config_path, make_fake_fashion_mnist,
                           save_distill_teacher)

METHODS = {
    'ofd': ('ofd/ofd_resnet18-w32_resnet18-w8_fmnist.py', 29611),
    'tofd': ('tofd/tofd_resnet18-w32_resnet18-w8_fmnist.py', 29612),
    'pefd': ('pefd/pefd_resnet18-w32_resnet18-w8_fmnist.py', 29613),
    'nd': ('nd/nd-kdpp_resnet18-w32_resnet18-w8_fmnist.py', 29614),
}
PER_PROCESS_BATCH = 8


def first_step_config(path: str, out_dir) -> str:
    """The method's config plus ``FirstStepLossDumpHook`` and an unshuffled
    training set, written to ``out_dir``; returns its path."""
    cfg = Config.fromfile(path)
    cfg.custom_imports = dict(imports=['tests.first_step_hook'],
                              allow_failed_imports=False)
    cfg.custom_hooks = list(cfg.get('custom_hooks')
                            or []) + [dict(type='FirstStepLossDumpHook')]
    # DefaultSampler gives rank r the indices r::world_size: unshuffled,
    # the ranks' first batches are together the single process's first one
    cfg.train_dataloader.sampler.shuffle = False
    out = str(out_dir / osp.basename(path))
    cfg.dump(out)
    return out


def read_first_steps(work_dir: str, world_size: int) -> list:
    records = []
    for rank in range(world_size):
        with open(json_path(work_dir, rank)) as f:
            records.append(json.load(f))
        assert records[-1]['world_size'] == world_size
    return records


def assert_first_step_equal(distributed: list, single: dict,
                            distill_losses: dict) -> None:
    """Every loss of the single-process step equals the ranks' mean; a
    ``FrobeniusDistanceLoss`` (TOFD's ``||S - T||_F`` over the batch, neither
    averaged nor squared) is the global batch's norm on every rank (its
    cross-process sum of squares)."""
    assert {r['weights'] for r in distributed} == {single['weights']}
    together = sum((r['sample_idx'] for r in distributed), [])
    assert sorted(together) == sorted(single['sample_idx'])
    assert len(together) == len(set(together)) == 2 * PER_PROCESS_BATCH
    keys = set(single['losses'])
    # 'loss' is MMEngine's total; the distiller logs the student's own
    # task loss (mmpretrain's head calls it 'loss') as 'loss_student'
    assert keys == set(distill_losses) | {'loss', 'loss_student'}, keys
    for key in sorted(keys - {'loss'}):
        local = [r['losses'][key] for r in distributed]
        if distill_losses.get(key, {}).get('type') == 'FrobeniusDistanceLoss':
            for value in local:
                assert value == pytest.approx(single['losses'][key], rel=1e-4,
                                              abs=1e-5), (key, local)
        combined = sum(local) / len(local)
        assert combined == pytest.approx(single['losses'][key], rel=1e-4,
                                         abs=1e-5), (key, local, single)
    parts = sum(v for k, v in single['losses'].items() if k != 'loss')
    assert single['losses']['loss'] == pytest.approx(parts, rel=1e-5)


@pytest.mark.parametrize('method', sorted(METHODS))
def test_dist_train_two_cpu_processes(method, tmp_path):
    """2 processes with batch 8 each, then 1 process with batch 16 on the
    same images and weights: the first step's losses agree.

    For that step only, ``FirstStepLossDumpHook`` puts every BN and dropout
    layer (student, connectors, heads and OFD's/TOFD's batch-statistics
    teacher) in eval mode: in train mode BN normalises with each process's
    own batch and dropout draws per process, so the halves' losses cannot
    equal the full batch's. SyncBN, the usual remedy, is GPU only (torch
    2.13: 'SyncBatchNorm expected input tensor to be on GPU'; mmcv's
    asserts CUDA tensors). The images are mirror-symmetric, so the
    pipeline's RandomFlip does not change them. The second iteration trains
    normally (BN in train mode)."""
    rel, port = METHODS[method]
    path = config_path(rel)
    data_root = make_fake_fashion_mnist(str(tmp_path / 'data'), 32, 8,
                                        mirror_symmetric=True)
    cfg = Config.fromfile(path)
    ckpt = save_distill_teacher(path, cfg, tmp_path)
    run_cfg = first_step_config(path, tmp_path)
    work = str(tmp_path / 'work')
    opts = [
        f'model.teacher_ckpt={ckpt}', 'param_scheduler=[]',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1'
    ]
    if method == 'nd':
        # written by the 2-process run's ClassMeansHook, read by the other
        opts.append('model.distill_losses.loss_nd.class_means='
                    f'{tmp_path / "class_means.pth"}')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # 32 images, 8 per process and step: 2 iterations
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0',
            f'{loader}.batch_size={PER_PROCESS_BATCH}',
            f'{loader}.persistent_workers=False'
        ]
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(port),
               OMP_NUM_THREADS='1')
    # cwd: MMEngine's distributed evaluation writes .dist_test/ there
    proc = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), run_cfg, '2', '--work-dir',
        work, '--cfg-options', *opts
    ], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert 'Epoch(train) [1][2/2]' in out, out[-3000:]
    assert 'accuracy/top1' in out
    ckpts = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert ckpts == ['epoch_1.pth'], ckpts

    # the same global batch in one process (also 2 iterations per epoch, so
    # epoch-based schedules agree)
    single = str(tmp_path / 'single')
    train_main([
        run_cfg, '--work-dir', single, '--cfg-options', *opts,
        f'train_dataloader.batch_size={2 * PER_PROCESS_BATCH}'
    ])
    assert_first_step_equal(read_first_steps(work, 2),
                            read_first_steps(single, 1)[0],
                            cfg.model.distill_losses)

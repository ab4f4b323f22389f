"""tools/dist_train.sh: 2 processes on CPU (gloo) train every method's
config for a few iterations and finish cleanly; rank 0 alone writes the
checkpoint; the first step's losses equal a single-process run's with the
same global batch. The same OFD run across 2 "nodes" on the loopback
address (``NNODES=2``, one process each) and through
tools/slurm_train.sh (``--launcher slurm``, srun's task variables) gives
the same first-step losses and the same weights after 2 iterations (the
Slurm run also through the real srun of a one-machine Slurm that the test
starts, skipped when it cannot)."""
import dataclasses
import json
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Callable, Dict, Iterator, List

import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.tools.train import main as train_main
from tests.first_step_hook import final_json_path, json_path
from tests.helpers import (REPO, config_path, make_fake_fashion_mnist,
                           save_distill_teacher)
from tests.local_slurm import (LocalSlurm, SlurmUnavailable, kill_session,
                               local_slurm)

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
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
        dict(type='FirstStepLossDumpHook'),
        dict(type='FinalWeightsDumpHook')
    ]
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


def read_finals(work_dir: str, world_size: int = 2) -> list:
    """The ranks' ``FinalWeightsDumpHook`` records."""
    records = []
    for rank in range(world_size):
        with open(final_json_path(work_dir, rank)) as f:
            records.append(json.load(f))
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


@dataclasses.dataclass
class DistRun:
    """A method's 2-process run: its config (``run_cfg``, ``cfg`` as
    loaded), ``--cfg-options`` (``opts``), work dir and output."""
    run_cfg: str
    cfg: Config
    opts: List[str]
    work: str
    out: str


def dist_train_env(port: int, **extra: str) -> Dict[str, str]:
    """The environment of ``tools/dist_train.sh`` in these tests: this
    Python, one thread, rendezvous on ``127.0.0.1:port``, gloo on the
    loopback interface."""
    return dict(os.environ, PYTHON=sys.executable, PORT=str(port),
                MASTER_ADDR='127.0.0.1', GLOO_SOCKET_IFNAME='lo',
                OMP_NUM_THREADS='1', **extra)


def train_two_processes(method: str, root) -> DistRun:
    """``tools/dist_train.sh CONFIG 2`` on 32 mirror-symmetric generated
    images (8 per process and step: 2 iterations, one epoch)."""
    rel, port = METHODS[method]
    path = config_path(rel)
    data_root = make_fake_fashion_mnist(str(root / 'data'), 32, 8,
                                        mirror_symmetric=True)
    cfg = Config.fromfile(path)
    ckpt = save_distill_teacher(path, cfg, root)
    run_cfg = first_step_config(path, root)
    work = str(root / 'work')
    opts = [
        f'model.teacher_ckpt={ckpt}', 'param_scheduler=[]',
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1'
    ]
    if method == 'nd':
        # written by the 2-process run's ClassMeansHook, read by the other
        opts.append('model.distill_losses.loss_nd.class_means='
                    f'{root / "class_means.pth"}')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # 32 images, 8 per process and step: 2 iterations
        opts += [
            f'{loader}.dataset.data_root={data_root}',
            f'{loader}.num_workers=0',
            f'{loader}.batch_size={PER_PROCESS_BATCH}',
            f'{loader}.persistent_workers=False'
        ]
    # cwd: MMEngine's distributed evaluation writes .dist_test/ there
    proc = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'dist_train.sh'), run_cfg, '2', '--work-dir',
        work, '--cfg-options', *opts
    ], cwd=str(root), env=dist_train_env(port), capture_output=True, text=True,
                          timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return DistRun(run_cfg, cfg, opts, work, out)


@pytest.fixture(scope='module')
def two_process_run(tmp_path_factory) -> Callable[[str], DistRun]:
    """``two_process_run(method)``: the method's 2-process run, trained
    once per module (the multi-node and Slurm tests compare with OFD's)."""
    runs: Dict[str, DistRun] = {}

    def get(method: str) -> DistRun:
        if method not in runs:
            runs[method] = train_two_processes(
                method, tmp_path_factory.mktemp(f'dist_{method}'))
        return runs[method]

    return get


def free_port() -> int:
    """A TCP port free on the loopback address now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def assert_same_training(work: str, reference: str, out: str) -> None:
    """The 2-process run in ``work`` trained as the one in ``reference``:
    each rank's first batch, starting weights and first-step losses, and
    the weights after the 2 iterations (every rank's, and the checkpoint
    rank 0 wrote)."""
    assert 'Epoch(train) [1][2/2]' in out, out[-3000:]
    ckpts = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert ckpts == ['epoch_1.pth'], ckpts
    for rank, (got, want) in enumerate(
            zip(read_first_steps(work, 2), read_first_steps(reference, 2))):
        assert got['sample_idx'] == want['sample_idx'], rank
        assert got['weights'] == want['weights'], rank
        assert got['losses'].keys() == want['losses'].keys()
        for key, value in want['losses'].items():
            assert got['losses'][key] == pytest.approx(value, rel=1e-6,
                                                       abs=1e-7), (rank, key)
    got, want = read_finals(work), read_finals(reference)
    assert {(r['world_size'], r['iter']) for r in got + want} == {(2, 2)}
    # the ranks agree on the parameters, and with the reference run's;
    # each rank's BN statistics are those of the reference's rank
    assert len({r['params'] for r in got + want}) == 1, (got, want)
    assert [r['buffers'] for r in got] == [r['buffers'] for r in want]
    got = torch.load(osp.join(work, 'epoch_1.pth'),
                     weights_only=False)['state_dict']
    want = torch.load(osp.join(reference, 'epoch_1.pth'),
                      weights_only=False)['state_dict']
    assert got.keys() == want.keys()
    for key in want:
        assert torch.equal(got[key], want[key]), key


@pytest.mark.parametrize('method', sorted(METHODS))
def test_dist_train_two_cpu_processes(method, two_process_run, tmp_path):
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
    run = two_process_run(method)
    out, work = run.out, run.work
    assert 'Epoch(train) [1][2/2]' in out, out[-3000:]
    assert 'accuracy/top1' in out
    ckpts = sorted(f for f in os.listdir(work) if f.endswith('.pth'))
    assert ckpts == ['epoch_1.pth'], ckpts
    finals = {r['params'] for r in read_finals(work)}
    assert len(finals) == 1, 'the ranks\' parameters differ after training'

    # the same global batch in one process (also 2 iterations per epoch, so
    # epoch-based schedules agree)
    single = str(tmp_path / 'single')
    train_main([
        run.run_cfg, '--work-dir', single, '--cfg-options', *run.opts,
        f'train_dataloader.batch_size={2 * PER_PROCESS_BATCH}'
    ])
    assert_first_step_equal(read_first_steps(work, 2),
                            read_first_steps(single, 1)[0],
                            run.cfg.model.distill_losses)


def test_dist_train_two_nodes(two_process_run, tmp_path):
    """OFD across 2 "nodes" on the loopback address: two
    ``tools/dist_train.sh CONFIG 1`` with ``NNODES=2`` and ``NODE_RANK`` 0
    and 1, one rendezvous (``MASTER_ADDR=127.0.0.1``, a free port), train
    as the 1-node, 2-process run: same first-step losses, same weights
    after 2 iterations."""
    run = two_process_run('ofd')
    work = str(tmp_path / 'work')
    port = free_port()
    nodes = [
        subprocess.Popen([
            'bash',
            osp.join(REPO, 'tools', 'dist_train.sh'), run.run_cfg, '1',
            '--work-dir', work, '--cfg-options', *run.opts
        ], cwd=str(tmp_path), env=dist_train_env(port, NNODES='2',
                                                 NODE_RANK=str(rank)),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True) for rank in range(2)
    ]
    outs = []
    try:
        for node in nodes:
            outs.append(node.communicate(timeout=300)[0])
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
                node.wait()
    for rank, node in enumerate(nodes):
        assert node.returncode == 0, (rank, outs[rank][-4000:])
    assert_same_training(work, run.work, outs[0])


#: srun for the test: runs the command as ``--ntasks`` local tasks with the
#: task variables srun sets (one node, ``localhost``), after writing its
#: arguments to ``$FAKE_SRUN_LOG``
FAKE_SRUN = r'''#!/usr/bin/env bash
echo "$@" > "$FAKE_SRUN_LOG"
ntasks=1
while [[ $# -gt 0 && $1 == -* ]]; do
    case $1 in
        --ntasks=*) ntasks=${1#--ntasks=} ;;
        -p) shift ;;
    esac
    shift
done
pids=()
for ((i = 0; i < ntasks; i++)); do
    SLURM_PROCID=$i SLURM_NTASKS=$ntasks SLURM_LOCALID=$i \
        SLURM_NODELIST=localhost SLURM_NNODES=1 "$@" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
'''


def test_slurm_train_two_tasks(two_process_run, tmp_path):
    """OFD through ``tools/slurm_train.sh`` (``--launcher slurm``) with 2
    tasks on CPU: an ``srun`` stand-in starts the two processes with the
    Slurm task variables (``SLURM_PROCID``, ``SLURM_NTASKS``,
    ``SLURM_LOCALID``, ``SLURM_NODELIST``) and ``MASTER_ADDR`` given; the
    run trains as the torch launcher's (same first-step losses, same
    weights after 2 iterations) and srun got the script's options."""
    run = two_process_run('ofd')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN)
    srun.chmod(0o755)
    log = tmp_path / 'srun_args.txt'
    work = str(tmp_path / 'work')
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}',
               PYTHON=sys.executable, GPUS='2', GPUS_PER_NODE='2',
               CPUS_PER_TASK='1', GRES='', MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(free_port()), GLOO_SOCKET_IFNAME='lo',
               OMP_NUM_THREADS='1', FAKE_SRUN_LOG=str(log))
    proc = subprocess.run([
        'bash',
        osp.join(REPO, 'tools', 'slurm_train.sh'), 'debug', 'ofd-test',
        run.run_cfg, work, '--cfg-options', *run.opts
    ], cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    args = log.read_text().split()
    assert args[:3] == ['-p', 'debug', '--job-name=ofd-test'], args
    assert '--ntasks=2' in args and '--ntasks-per-node=2' in args, args
    assert not any(a.startswith('--gres') for a in args), args
    assert '--launcher=slurm' in args and f'--work-dir={work}' in args
    assert_same_training(work, run.work, out)


@pytest.fixture
def slurm() -> Iterator[LocalSlurm]:
    """A one-machine Slurm started for the test (:mod:`tests.local_slurm`),
    stopped afterwards; the test is skipped, with the reason, when it
    cannot start within 60 s."""
    try:
        with local_slurm(timeout=60) as cluster:
            yield cluster
    except SlurmUnavailable as error:
        pytest.skip(f'no local Slurm: {error}')


def test_slurm_train_real_srun(two_process_run, slurm, tmp_path):
    """``tools/slurm_train.sh`` through the real srun of a one-machine
    Slurm (munged, slurmctld and slurmd started by the fixture on the
    loopback address): 2 tasks on its node, ``MASTER_ADDR`` from
    ``scontrol show hostnames``, train as the torch launcher's run (same
    first-step losses and weights after 2 iterations, each rank's, and the
    checkpoint rank 0 wrote), and slurmd launched the step."""
    run = two_process_run('ofd')
    work = str(tmp_path / 'work')
    env = {
        k: v
        for k, v in slurm.env.items()
        if k not in ('MASTER_ADDR', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK')
    }
    env.update(PYTHON=sys.executable, GPUS='2', GPUS_PER_NODE='2',
               CPUS_PER_TASK='1', GRES='', SRUN_ARGS='--nodes=1 --time=10',
               MASTER_PORT=str(free_port()), OMP_NUM_THREADS='1',
               GLOO_SOCKET_IFNAME='lo')
    proc = subprocess.Popen([
        'bash',
        osp.join(REPO, 'tools', 'slurm_train.sh'), slurm.partition,
        'mmfd-test', run.run_cfg, work, '--cfg-options', *run.opts
    ], cwd=str(tmp_path), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out = proc.communicate(timeout=300)[0]
    finally:
        kill_session(proc)
    assert proc.returncode == 0, out[-4000:]
    with open(slurm.log('slurmd')) as f:
        assert 'launch task StepId=' in f.read()
    assert_same_training(work, run.work, out)

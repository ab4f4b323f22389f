"""``--launcher slurm`` on CPU: srun's task variables become torch's
rendezvous variables (``tools/train.py``'s ``slurm_dist_env``). The
2-task training run is in tests/test_reliability/test_distributed.py."""
import pytest
from mmengine.config import Config

from mmfeatdistill.tools.train import (SLURM_DEFAULT_PORT,
                                       setup_cpu_distributed, slurm_dist_env)
from tests.local_slurm import SlurmUnavailable, local_slurm

TASK = dict(SLURM_PROCID='3', SLURM_NTASKS='4', SLURM_LOCALID='1',
            SLURM_NODELIST='node[07-08]')


def write_scontrol(tmp_path, hosts: str) -> None:
    """An ``scontrol`` that answers ``show hostnames LIST`` with
    ``hosts``."""
    path = tmp_path / 'scontrol'
    path.write_text('#!/bin/sh\n'
                    '[ "$1 $2" = "show hostnames" ] && [ -n "$3" ] || exit 2\n'
                    f'printf "{hosts}"\n')
    path.chmod(0o755)


def test_task_variables_and_given_master():
    env = slurm_dist_env(
        dict(TASK, MASTER_ADDR='10.0.0.5', MASTER_PORT='23456'))
    assert env == dict(RANK='3', WORLD_SIZE='4', LOCAL_RANK='1',
                       MASTER_ADDR='10.0.0.5', MASTER_PORT='23456')


def test_master_from_node_list(tmp_path, monkeypatch):
    """Without MASTER_ADDR the first host of ``scontrol show hostnames``;
    without MASTER_PORT MMEngine's default port."""
    write_scontrol(tmp_path, 'node07\\nnode08\\n')
    monkeypatch.setenv('PATH', str(tmp_path))
    env = slurm_dist_env(TASK)
    assert env['MASTER_ADDR'] == 'node07'
    assert env['MASTER_PORT'] == str(SLURM_DEFAULT_PORT) == '29500'


def test_no_scontrol(tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path))
    with pytest.raises(RuntimeError, match='set MASTER_ADDR'):
        slurm_dist_env(TASK)
    write_scontrol(tmp_path, '')
    with pytest.raises(RuntimeError, match='named no host'):
        slurm_dist_env(TASK)


def test_not_started_by_srun():
    with pytest.raises(RuntimeError) as error:
        slurm_dist_env(dict(SLURM_PROCID='0'))
    message = str(error.value)
    for name in ('SLURM_NTASKS', 'SLURM_LOCALID', 'SLURM_NODELIST'):
        assert name in message
    assert 'tools/slurm_train.sh' in message


def test_other_launchers_refused_without_gpu():
    import torch
    if torch.cuda.is_available():
        pytest.skip('MMEngine initialises every launcher on a GPU')
    with pytest.raises(RuntimeError, match='tools/slurm_train.sh'):
        setup_cpu_distributed(Config(dict(launcher='mpi')))


def test_local_slurm_says_why_it_cannot_start(tmp_path, monkeypatch):
    """The real-srun test's cluster (tests/local_slurm.py) names what is
    missing, which its skip reports."""
    monkeypatch.setenv('PATH', str(tmp_path))
    with pytest.raises(SlurmUnavailable, match='not installed: munged'):
        with local_slurm(timeout=5):
            pass

"""``--device`` of the main job and the quality benchmark: the stages
train where it says, it is part of every stage's key, and asking for a GPU
that is not there is a clear error."""
import subprocess

import pytest
import torch

from mmfeatdistill.tools import demo


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here')
def test_cuda_without_gpu_is_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        demo.parse_args(['--task', 'cls', '--device', 'cuda'])
    assert 'use --device cpu' in capsys.readouterr().err
    assert demo.parse_args(['--task', 'cls']).device == 'cpu'


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here')
def test_quality_cuda_without_gpu_is_a_clear_error(capsys, tmp_path):
    """``benchmarks/quality.py --device cuda`` passes the device to the
    demo: without a GPU, the same error before anything is trained or
    written."""
    from benchmarks import quality
    out = tmp_path / 'results.md'
    with pytest.raises(SystemExit):
        quality.main([
            '--task', 'cls', '--seeds', '0', '--out',
            str(out), '--work-dir',
            str(tmp_path / 'work'), '--device', 'cuda'
        ])
    assert 'use --device cpu' in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / 'work').exists()


def test_cpu_stages_see_no_gpu(monkeypatch, tmp_path):
    seen = {}

    def run(cmd, env, **kwargs):
        seen.update(env)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(demo.subprocess, 'run', run)
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '0')
    demo.run_script('train.py', 'configs/kd/x.py', str(tmp_path), [], True,
                    device='cpu')
    assert seen['CUDA_VISIBLE_DEVICES'] == ''
    demo.run_script('train.py', 'configs/kd/x.py', str(tmp_path), [], True,
                    device='cuda:H100')
    assert seen['CUDA_VISIBLE_DEVICES'] == '0'


def test_device_is_in_the_key():
    args = demo.parse_args(['--task', 'cls', '--device', 'cpu'])
    stage = demo.EXPERIMENTS['cls'].stages[1]
    keys = set()
    for device in ('cpu', 'cuda:NVIDIA H100'):
        args.device = device
        keys.add(demo.stage_key(args, 'train.py', stage.config, [])[0])
    assert len(keys) == 2

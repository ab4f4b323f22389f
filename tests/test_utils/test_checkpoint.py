import pytest
import torch
from torch import nn

from mmfeatdistill.utils import load_strict, read_checkpoint


def test_unreachable_url_suggests_local_path():
    # port 9 (discard) on loopback: refused at once, no outside traffic
    url = 'http://127.0.0.1:9/resnet18_teacher.pth'
    with pytest.raises(RuntimeError) as info:
        read_checkpoint(url)
    msg = str(info.value)
    assert 'Cannot download the teacher checkpoint' in msg
    assert 'local path' in msg
    assert 'model.teacher_ckpt=/path/to/resnet18_teacher.pth' in msg


def test_missing_local_file():
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_checkpoint('/nonexistent/teacher.pth')


def test_key_mismatch_lists_keys_and_loads_nothing():
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = {'0.weight': torch.ones(3, 2), '0.bias': torch.ones(3),
             '2.weight': torch.ones(1, 3)}
    with pytest.raises(KeyError) as info:
        load_strict(model, state, 'x.pth')
    msg = str(info.value)
    assert 'missing keys (2): 1.bias, 1.weight' in msg
    assert 'unexpected keys (1): 2.weight' in msg
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), 'no partial load'
    shaped = {'0.weight': torch.ones(3, 3), '0.bias': torch.ones(3),
              '1.weight': torch.ones(1, 3), '1.bias': torch.ones(1)}
    with pytest.raises(KeyError, match=r'0.weight: checkpoint \(3, 3\) vs '
                       r'model \(3, 2\)'):
        load_strict(model, shaped, 'x.pth')

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
    state = {
        '0.weight': torch.ones(3, 2),
        '0.bias': torch.ones(3),
        '2.weight': torch.ones(1, 3)
    }
    with pytest.raises(KeyError) as info:
        load_strict(model, state, 'x.pth')
    msg = str(info.value)
    assert 'missing keys (2): 1.bias, 1.weight' in msg
    assert 'unexpected keys (1): 2.weight' in msg
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), 'no partial load'
    shaped = {
        '0.weight': torch.ones(3, 3),
        '0.bias': torch.ones(3),
        '1.weight': torch.ones(1, 3),
        '1.bias': torch.ones(1)
    }
    with pytest.raises(
            KeyError, match=r'0.weight: checkpoint \(3, 3\) vs '
            r'model \(3, 2\)'):
        load_strict(model, shaped, 'x.pth')


# --- safe loading (issue 21) -------------------------------------------


class _Exec:

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import builtins
        return (builtins.exec, (f'open({self.marker!r}, "w").close()', ))


def test_url_checkpoint_is_loaded_weights_only(tmp_path, monkeypatch):
    """A teacher given as a URL: MMEngine 0.10.7 loads URLs through
    torch.hub with ``weights_only=False``; ours is weights-only (served
    from a local HTTP server on loopback, cached in a temporary hub)."""
    import functools
    import http.server
    import threading

    from mmfeatdistill.utils import UntrustedCheckpointError

    served = tmp_path / 'served'
    served.mkdir()
    marker = str(tmp_path / 'MARKER')
    torch.save({
        'state_dict': {},
        'x': _Exec(marker)
    }, str(served / 'evil.pth'))
    torch.save({'state_dict': {'w': torch.ones(2)}}, str(served / 'good.pth'))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old_hub = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}'
        good = read_checkpoint(f'{url}/good.pth')
        assert torch.equal(good['state_dict']['w'], torch.ones(2))
        with pytest.raises(UntrustedCheckpointError, match='builtins.exec'):
            read_checkpoint(f'{url}/evil.pth')
    finally:
        torch.hub.set_dir(old_hub)
        server.shutdown()
        server.server_close()
    import os.path as osp
    assert not osp.exists(marker)


def test_trust_is_scoped_to_the_block_and_thread(tmp_path):
    import argparse
    import os
    import threading

    from mmfeatdistill.utils import (UntrustedCheckpointError,
                                     trust_checkpoints,
                                     trusted_checkpoint_loading)
    path = str(tmp_path / 'ns.pth')
    torch.save({'meta': {'args': argparse.Namespace(a=1)}}, path)
    with pytest.raises(UntrustedCheckpointError, match='argparse.Namespace'):
        read_checkpoint(path)
    seen = {}
    with trust_checkpoints():
        assert read_checkpoint(path)['meta']['args'].a == 1
        with trust_checkpoints(False):  # False never withdraws trust
            assert read_checkpoint(path)['meta']['args'].a == 1

        def other_thread():
            try:
                read_checkpoint(path)
                seen['other'] = 'loaded'
            except UntrustedCheckpointError:
                seen['other'] = 'refused'

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
    assert seen['other'] == 'refused'
    with pytest.raises(UntrustedCheckpointError):
        read_checkpoint(path)
    # the deprecated name is an explicit opt-in now, without the env var
    with pytest.deprecated_call():
        ctx = trusted_checkpoint_loading()
    with ctx:
        assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ
        assert read_checkpoint(path)['meta']['args'].a == 1

"""Loading a teacher checkpoint strictly, with errors that say what to do."""
import os
from collections import OrderedDict
from contextlib import contextmanager
from typing import Dict, Iterator
from urllib.error import URLError

import torch
from mmengine.runner import CheckpointLoader
from torch import nn

_REMOTE_PREFIXES = ('http://', 'https://', 'open-mmlab://', 'openmmlab://',
                    'mmcls://', 'torchvision://', 's3://', 'pavi://')


@contextmanager
def trusted_checkpoint_loading() -> Iterator[None]:
    """Let MMEngine load full checkpoints on torch >= 2.6, for this block.

    MMEngine 0.10.7 calls ``torch.load`` without ``weights_only``; torch
    >= 2.6 then defaults to ``weights_only=True`` and refuses MMEngine's own
    checkpoints (they hold the message hub's ``HistoryBuffer``, numpy arrays,
    ...), so ``--resume`` and ``load_from`` fail. Inside this block torch's
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` restores the pre-2.6 behaviour for
    calls that do not choose. Only checkpoints named by the user's config or
    command line are loaded inside it; load only files you trust.
    """
    name = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
    old = os.environ.get(name)
    os.environ[name] = '1'
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def is_remote(filename: str) -> bool:
    return str(filename).startswith(_REMOTE_PREFIXES)


def read_checkpoint(filename: str, role: str = 'teacher') -> dict:
    """Read a checkpoint file or URL (read only: the file is never written).

    Raises:
        FileNotFoundError: a local path that does not exist.
        RuntimeError: a URL that cannot be reached; the message suggests
            downloading it elsewhere and giving a local path.
    """
    if not is_remote(filename) and not os.path.isfile(filename):
        raise FileNotFoundError(
            f'{role} checkpoint {filename!r} does not exist. Give the path of '
            f'a checkpoint file (or a model-zoo URL).')
    try:
        with trusted_checkpoint_loading():
            return CheckpointLoader.load_checkpoint(filename,
                                                    map_location='cpu')
    except (URLError, OSError, ConnectionError) as err:
        if not is_remote(filename):
            raise
        raise RuntimeError(
            f'Cannot download the {role} checkpoint {filename!r} ({err}). '
            f'This machine may have no access to it: download the file where '
            f'you can and set `{role}_ckpt` to its local path, e.g. '
            f"--cfg-options model.{role}_ckpt=/path/to/"
            f"{os.path.basename(str(filename)) or 'checkpoint.pth'}") from err


def extract_state_dict(checkpoint: dict) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint, without a DDP ``module.`` prefix."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state_dict, dict):
        raise TypeError('The checkpoint holds no state dict.')
    return OrderedDict(
        (k[7:] if k.startswith('module.') else k, v)
        for k, v in state_dict.items())


def _preview(keys, limit: int = 10) -> str:
    keys = sorted(keys)
    more = f' ... and {len(keys) - limit} more' if len(keys) > limit else ''
    return ', '.join(keys[:limit]) + more


def load_strict(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                source: str, role: str = 'teacher') -> None:
    """Load ``state_dict`` into ``model``; any missing/unexpected key or shape
    mismatch is an error listing them (never a silent partial load)."""
    own = model.state_dict()
    mismatched = [
        f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}'
        for k, v in state_dict.items()
        if k in own and hasattr(v, 'shape') and v.shape != own[k].shape
    ]
    missing = set(own) - set(state_dict)
    unexpected = set(state_dict) - set(own)
    if missing or unexpected or mismatched:
        parts = []
        if missing:
            parts.append(f'missing keys ({len(missing)}): {_preview(missing)}')
        if unexpected:
            parts.append(
                f'unexpected keys ({len(unexpected)}): {_preview(unexpected)}')
        if mismatched:
            parts.append(f'shape mismatches: {"; ".join(mismatched[:10])}')
        raise KeyError(
            f'The {role} checkpoint {source!r} does not fit the {role} model '
            f'({type(model).__name__}): ' + '; '.join(parts) + '. Check that '
            f'the {role} config is the one the checkpoint was trained with.')
    model.load_state_dict(state_dict, strict=True)

"""The distiller's teacher: loaded once from its checkpoint, frozen, in
eval mode but for its BN layers where a method asks for batch statistics."""
import hashlib
from typing import Any, Dict, Optional

import torch
from mmengine.logging import print_log
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmfeatdistill.utils import (extract_state_dict, load_strict,
                                 read_checkpoint)


def teacher_weights(checkpoint: dict, source: str) -> Dict[str, Any]:
    """The teacher's state dict in ``checkpoint``: the whole state dict of
    a plain model checkpoint, or the ``teacher.`` entries of a distiller
    checkpoint (a run of this package), without the prefix.

    Args:
        checkpoint (dict): The loaded checkpoint.
        source (str): Its path or URL, for the log message.

    Returns:
        dict: The teacher's weights.
    """
    state = extract_state_dict(checkpoint)
    if any(k.startswith('teacher.')
           for k in state) and any(k.startswith('student.') for k in state):
        print_log(
            f'teacher_ckpt {source!r} is a distiller checkpoint: the teacher '
            f'is loaded from its "teacher." weights.', logger='current')
        return type(state)((k[len('teacher.'):], v) for k, v in state.items()
                           if k.startswith('teacher.'))
    return state


def state_fingerprint(module: nn.Module) -> str:
    """sha256 of a module's state dict (names, dtypes, shapes and values):
    the identity of a set of weights, whatever file they came from."""
    digest = hashlib.sha256()
    for name, value in sorted(module.state_dict().items()):
        digest.update(name.encode())
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().contiguous()
            digest.update(f'{value.dtype}{tuple(value.shape)}'.encode())
            digest.update(
                value.view(-1).view(torch.uint8).numpy().tobytes() if value.
                numel() else b'')
    return digest.hexdigest()


def require_teacher_ckpt(teacher_ckpt: Optional[str],
                         untrained_teacher: bool) -> None:
    """A distiller without ``teacher_ckpt`` is an error unless the user
    asked for an untrained teacher."""
    if teacher_ckpt is None and not untrained_teacher:
        raise ValueError(
            'FeatureDistiller has no teacher_ckpt: the teacher would be '
            'randomly initialised. Set model.teacher_ckpt to the teacher\'s '
            'checkpoint (path or URL, e.g. --cfg-options '
            'model.teacher_ckpt=/path/to/teacher.pth), or set '
            'model.untrained_teacher=True to distil from an untrained '
            'teacher on purpose.')


def load_frozen_teacher(teacher: nn.Module, teacher_ckpt: Optional[str],
                        norm_eval: bool) -> Optional[dict]:
    """Load ``teacher`` strictly from ``teacher_ckpt`` (read once), switch
    off its gradients and, unless ``norm_eval``, make its BN layers use
    batch statistics without updating their running ones.

    Args:
        teacher (nn.Module): The built teacher.
        teacher_ckpt (str, optional): Its checkpoint (None: keep the
            initialisation).
        norm_eval (bool): BN layers on running statistics.

    Returns:
        dict, optional: The loaded checkpoint (connectors read parts of it,
        e.g. TOFD's trained heads), or None.
    """
    checkpoint = None
    if teacher_ckpt is not None:
        checkpoint = read_checkpoint(teacher_ckpt)
        load_strict(teacher, teacher_weights(checkpoint, teacher_ckpt),
                    teacher_ckpt)
    teacher.requires_grad_(False)
    if not norm_eval:
        for module in teacher.modules():
            if isinstance(module, _BatchNorm):
                # batch statistics in train mode, running stats untouched
                module.track_running_stats = False
    return checkpoint


def set_teacher_mode(teacher: nn.Module, training: bool,
                     norm_eval: bool) -> None:
    """Eval mode for every module of the teacher (no dropout or
    drop-path), except its BN layers in training when not ``norm_eval``."""
    teacher.eval()
    if training and not norm_eval:
        for module in teacher.modules():
            if isinstance(module, _BatchNorm):
                module.train()

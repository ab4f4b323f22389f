"""Stopping on a NaN/inf loss, and telling a broken teacher apart."""
from typing import Any, Dict, List, Optional

import torch
from mmengine.logging import MessageHub

from ..recorders import RecorderManager


def all_finite(value: Any) -> torch.Tensor:
    """0-dim bool tensor: no NaN/inf in the floating-point tensors of
    ``value`` (a tensor, or a list/tuple of them); no device sync. Their
    minimum and maximum hold a NaN or an inf when any element does, so no
    mask of the tensor's size is made (this runs on every training step
    for the teacher's released records)."""
    flags = [
        torch.isfinite(torch.stack(torch.aminmax(t))).all()
        for t in (value if isinstance(value, (list, tuple)) else [value])
        if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel()
    ]
    return torch.stack(flags).all() if flags else torch.tensor(True)


def non_finite_records(recorders: RecorderManager,
                       released: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the recorders whose last value holds NaN/inf (for records
    already released, the flags ``released`` took when they were)."""
    broken = []
    for name in recorders.recorders:
        try:
            finite = all_finite(recorders.get(name))
        except RuntimeError:  # released (or not recorded)
            finite = released.get(name)
            if finite is None:
                continue
        if not bool(finite):
            broken.append(name)
    return broken


def check_losses_finite(losses: Dict[str,
                                     Any], teacher_recorders: RecorderManager,
                        released: Dict[str, torch.Tensor],
                        teacher_ckpt: Optional[str]) -> None:
    """Stop on a NaN/inf loss, naming it and the iteration, before the
    backward pass trains on garbage (one device sync for all losses).

    Args:
        losses (dict): The step's losses (values: tensors or lists).
        teacher_recorders (RecorderManager): To tell a broken teacher.
        released (dict): Finite flags of released teacher records.
        teacher_ckpt (str, optional): For the message.

    Raises:
        FloatingPointError: a loss is NaN or inf.
    """
    checks = [(name, v) for name, value in losses.items() if 'loss' in name
              for v in (value if isinstance(value, (list, tuple)) else [value])
              if isinstance(v, torch.Tensor)]
    finite = [torch.isfinite(v.detach()).all() for _, v in checks]
    if finite and len({f.device
                       for f in finite}) == 1 and bool(
                           torch.stack(finite).all()):
        return
    hub = MessageHub.get_current_instance()
    where = f'at iteration {hub.get_info("iter", "?")}'
    broken = non_finite_records(teacher_recorders, released)
    for (name, v), ok in zip(checks, finite):
        if ok:
            continue
        value = v.detach().flatten()[:4].tolist()
        if broken:
            raise FloatingPointError(
                f'Loss {name!r} is {value} {where}: the teacher\'s recorded '
                f'features {broken} are already NaN/inf, so the teacher is '
                f'broken, not the training: check teacher_ckpt '
                f'({teacher_ckpt!r}) and that the teacher config matches '
                f'it.')
        raise FloatingPointError(
            f'Loss {name!r} is {value} {where}: stopping instead of '
            f'training on it. Lower the lr or this loss\'s loss_weight, or '
            f'check its inputs (set check_finite=False to skip this check).')

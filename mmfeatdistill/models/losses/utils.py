"""Losses over the global batch under data parallelism.

DDP averages the gradients of the ranks. A loss that is a mean over a
fixed number of rows per rank (every rank with the same batch size) then
gives the single-process gradient of the same global batch. Two kinds of
loss do not: norms over the batch (TOFD's ``||S - T||_F``) and means over a
data-dependent number of rows (labelled pixels, positive anchors). The
helpers here compute their value over the global batch (a cross-process sum
of detached statistics) and give each rank a surrogate whose gradient, once
DDP has averaged it over the N ranks, is the single-process gradient:

``value + (surrogate - surrogate.detach())`` has the global value and the
surrogate's gradient. No gradient flows through the other ranks' parts
(``all_reduce`` of detached tensors). Without an initialised process group,
or with one process, they are the plain single-process formulas.
"""
import torch
import torch.distributed as dist


def world_size() -> int:
    """Processes of the default group; 1 without torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return 1


def global_sum(tensor: torch.Tensor) -> torch.Tensor:
    """The sum of ``tensor`` over the ranks (a detached copy; ``tensor``
    itself is not modified). Every rank must call it (a collective).

    Args:
        tensor (Tensor): Same shape on every rank.
    """
    total = tensor.detach().clone()
    if world_size() > 1:
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
    return total


def _with_gradient_of(value: torch.Tensor,
                      surrogate: torch.Tensor) -> torch.Tensor:
    """``value`` (no gradient) with the gradient of ``surrogate``."""
    return value.detach() + (surrogate - surrogate.detach())


def global_mean_over_rows(per_row: torch.Tensor) -> torch.Tensor:
    """Mean of ``per_row`` (N_r,) over the rows of every rank.

    Value: ``sum_r sum(per_row_r) / sum_r N_r`` on every rank. Gradient on
    rank r: ``world_size / sum_r N_r`` per row, which DDP's averaging turns
    into ``1 / sum_r N_r`` per row, the single-process gradient. 0 (with a
    zero gradient) when no rank has a row. Every rank must call it, with or
    without rows.

    Args:
        per_row (Tensor): (N_r,) values of this rank's rows (float32).
    """
    per_row = per_row.reshape(-1)
    local_sum = per_row.sum()
    n = world_size()
    if n == 1:
        if per_row.numel() == 0:
            return local_sum * 0.0
        return per_row.mean()
    stats = global_sum(
        torch.stack(
            [local_sum.detach(),
             local_sum.new_tensor(float(per_row.numel()))]))
    total, count = stats[0], stats[1]
    if count.item() == 0:
        return local_sum * 0.0
    return _with_gradient_of(total / count, local_sum * (n / count))


def global_norm(squares: torch.Tensor) -> torch.Tensor:
    """Root of summed squares over the global batch, element-wise.

    ``squares`` holds this rank's sums of squares (a scalar, or one per
    position); the value is ``sqrt(sum_r squares_r)`` on every rank. The
    gradient on rank r is ``world_size * d squares_r / (2 * norm)``, which
    DDP's averaging turns into the single-process gradient of the norm
    (``d / norm`` for each element ``d`` of the difference).

    Args:
        squares (Tensor): This rank's sums of squared differences (with
            their graph), any shape, the same on every rank.
    """
    n = world_size()
    total = global_sum(squares) if n > 1 else squares.detach()
    norm = total.sqrt()
    surrogate = squares * (n / (2 * norm.clamp_min(1e-12)))
    return _with_gradient_of(norm, surrogate)


def global_sum_per_count(local_sum: torch.Tensor,
                         count: torch.Tensor) -> torch.Tensor:
    """``sum_r local_sum_r / sum_r count_r`` over the ranks (e.g. SSD's
    classification loss: summed over the chosen anchors, divided by the
    positive anchors of the whole batch).

    Value: the same on every rank. Gradient on rank r: ``world_size /
    sum_r count_r`` times that of ``local_sum_r``, which DDP's averaging
    turns into the single-process gradient. 0 (with a zero gradient) when
    no rank counts anything. Every rank must call it.

    Args:
        local_sum (Tensor): This rank's sum (a scalar, with its graph).
        count (Tensor): This rank's count (a scalar, no gradient).
    """
    n = world_size()
    stats = torch.stack([local_sum.detach().float(), count.detach().float()])
    if n > 1:
        stats = global_sum(stats)
    total, num = stats[0], stats[1]
    if num.item() == 0:
        return local_sum * 0.0
    if n == 1:
        return local_sum / num
    return _with_gradient_of(total / num, local_sum * (n / num))

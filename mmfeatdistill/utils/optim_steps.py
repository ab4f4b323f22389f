"""Optimizer steps under gradient accumulation.

With ``optim_wrapper = dict(..., accumulative_counts=N)`` MMEngine runs N
training iterations (micro-batches) per optimizer step: the Runner's
``iter`` counts micro-batches. Warm-ups and ramps of a distillation
(iteration-based loss schedules, the connector warm-up) count optimizer
steps instead, so that a run with batch B and N accumulated iterations
trains as one with batch N * B. The number of accumulated iterations
reaches the distiller through the message hub
(:class:`~mmfeatdistill.engine.hooks.AccumulationInfoHook` puts it there).
"""
import math
from typing import Optional, Tuple

from .checks import check_positive_int

#: Key of the message hub's runtime info holding the optimizer wrapper's
#: ``accumulative_counts``
ACCUMULATIVE_COUNTS = 'accumulative_counts'


def accumulative_counts(optim_wrapper) -> int:
    """Training iterations per optimizer step of an MMEngine optimizer
    wrapper (its ``accumulative_counts``; 1 for an object without it).

    Args:
        optim_wrapper (OptimWrapper | OptimWrapperDict): The Runner's
            ``optim_wrapper``. The wrappers of an ``OptimWrapperDict``
            must accumulate alike.

    Returns:
        int: The number of accumulated iterations, at least 1.

    Raises:
        ValueError: The wrappers of an ``OptimWrapperDict`` accumulate over
            different numbers of iterations.
    """
    wrappers = getattr(optim_wrapper, 'optim_wrappers', None)
    if isinstance(wrappers, dict) and wrappers:
        counts = {name: accumulative_counts(w) for name, w in wrappers.items()}
        if len(set(counts.values())) > 1:
            raise ValueError(
                f'The optimizer wrappers accumulate gradients over different '
                f'numbers of iterations ({counts}); warm-ups and schedules '
                f'need one number of iterations per optimizer step.')
        return next(iter(counts.values()))
    return int(getattr(optim_wrapper, '_accumulative_counts', 1))


def optimizer_steps(iteration: int, max_iters: Optional[int],
                    counts: int) -> Tuple[int, Optional[int]]:
    """The 0-based optimizer step of a training iteration, and the run's
    number of optimizer steps.

    MMEngine's ``OptimWrapper`` steps after every ``counts`` iterations,
    counted from the start of the run (across epochs), and after the last
    iteration of the run (the remainder of ``max_iters / counts``).

    Args:
        iteration (int): The Runner's 0-based iteration (micro-batch).
        max_iters (int, optional): The run's iterations.
        counts (int): Iterations per optimizer step
            (``accumulative_counts``).

    Returns:
        tuple: ``(step, total)``; ``total`` is None when ``max_iters`` is.
    """
    check_positive_int(counts, 'accumulative_counts')
    total = None if max_iters is None else math.ceil(max_iters / counts)
    return iteration // counts, total

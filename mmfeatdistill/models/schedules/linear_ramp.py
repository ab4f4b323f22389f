"""Schedules of loss attributes (weights, temperatures) over a run."""
from typing import Optional, Union

from mmfeatdistill.registry import TASK_UTILS


@TASK_UTILS.register_module()
class LinearRamp:
    """``value = start + (end - start) * min(1, (step + 1) / length)``.

    ``step`` is the 0-based epoch (``by_epoch=True``) or optimizer step
    (an iteration, or ``accumulative_counts`` iterations under gradient
    accumulation), so the first step already moves by ``1 / length``, as
    the methods' released code counts (1-based epochs). The distiller sets
    the scheduled attribute before every training forward (``schedules``
    argument of :class:`FeatureDistiller`); the value depends on the step
    alone, so resuming continues the schedule.

    Examples:
        KD++'s warm-up of the KD weight over 20 epochs (``end`` is the
        configured weight): ``dict(type='LinearRamp', start=0.0,
        length=20)``. TOFD's rising temperature over the whole run:
        ``dict(type='LinearRamp', start=1.0, end=4.0)``.

    Args:
        start (float): The value before the first step. Defaults to 0.
        end (float, optional): The value reached after ``length`` steps.
            Defaults to the attribute's configured value (so a config
            override of e.g. ``loss_weight`` scales the whole schedule).
        length (int | float, optional): Steps to reach ``end``; a float in
            (0, 1) is a fraction of the run (e.g. 0.05: KD++'s 5 of 100
            epochs, whatever the schedule's length). Defaults to the whole
            run's ``max_epochs`` (or its optimizer steps).
        by_epoch (bool): Count epochs (True, default) or optimizer steps.
    """

    def __init__(self, start: float = 0.0, end: Optional[float] = None,
                 length: Optional[Union[int, float]] = None,
                 by_epoch: bool = True) -> None:
        if length is not None and not (0 < length < 1 or
                                       (length >= 1
                                        and float(length).is_integer())):
            raise ValueError(
                f'LinearRamp: length must be a whole number of steps >= 1 or '
                f'a fraction of the run in (0, 1), got {length}')
        if not isinstance(by_epoch, bool):
            raise TypeError(f'LinearRamp: by_epoch must be a bool, got '
                            f'{by_epoch!r}')
        self.start = float(start)
        self.end = end
        self.length = length
        self.by_epoch = by_epoch

    def value(self, step: int, total: Optional[int],
              configured: float) -> float:
        """The value at 0-based ``step`` of a run of ``total`` steps.

        Args:
            step (int): The current epoch or iteration (0-based).
            total (int, optional): The run's epochs or iterations (used
                when ``length`` is None).
            configured (float): The attribute's configured value (used
                when ``end`` is None).

        Returns:
            float: The scheduled value.
        """
        end = configured if self.end is None else float(self.end)
        length = self.length if self.length is not None else total
        if length is not None and length < 1:  # a fraction of the run
            length = max(1, round(length * total)) if total else None
        if not length:
            raise ValueError('LinearRamp without length needs the run\'s '
                             'max epochs/iterations (a Runner).')
        return self.start + (end - self.start) * min(1.0, (step + 1) / length)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(start={self.start}, end={self.end}, '
                f'length={self.length}, by_epoch={self.by_epoch})')

"""Tell the distiller how many training iterations make an optimizer step
(gradient accumulation)."""
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import ACCUMULATIVE_COUNTS, accumulative_counts


@HOOKS.register_module()
class AccumulationInfoHook(Hook):
    """Put the optimizer wrapper's ``accumulative_counts`` in the message
    hub's runtime info (key ``'accumulative_counts'``) before training.

    With ``optim_wrapper = dict(..., accumulative_counts=N)`` every
    optimizer step accumulates the gradients of N training iterations; the
    distiller's iteration-based ``schedules`` (e.g. KD++'s warm-up of the
    KD weight, TOFD's rising temperature with ``by_epoch=False``) read the
    number from the hub and count optimizer steps
    (``iteration // N``), so a run with batch B and N accumulated
    iterations follows the schedule of a run with batch N * B. Without
    this hook they count iterations (and warn once when the hub has no
    such number). The runtime base ``configs/_base_/distill_runtime.py``
    declares it and ``tools/train.py`` adds it to a config without it.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        runner.message_hub.update_info(
            ACCUMULATIVE_COUNTS, accumulative_counts(runner.optim_wrapper))

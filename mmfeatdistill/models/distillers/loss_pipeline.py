"""The distillation losses in a step: their inputs (records through
connectors, one loss at a time, each record released once no later loss
reads it), their evaluation and the check that they are finite."""
from typing import Dict, Iterator, Optional, Sequence, Tuple

import torch
from torch import nn

from ..recorders import RecorderManager
from .finite_check import all_finite, check_losses_finite
from .loss_argument import LossArgument
from .shape_check import check_paired_shapes


class LossPipeline:
    """Computes the configured arguments of the distillation losses and
    evaluates the losses on them.

    Args:
        loss_arguments (dict): ``loss name -> {argument -> LossArgument}``,
            in the order the losses are evaluated.
        student_recorders (RecorderManager): The student's recorders.
        teacher_recorders (RecorderManager): The teacher's recorders.
        connectors (nn.ModuleDict): The distiller's connectors.
        release_records (bool): Drop each record from its recorder once the
            last loss that reads it has taken its inputs.
        finite_flags (bool): Keep a 0-dim "all finite" flag of each
            released teacher record (read when a loss is not finite).
    """

    def __init__(self, loss_arguments: Dict[str, Dict[str, LossArgument]],
                 student_recorders: RecorderManager,
                 teacher_recorders: RecorderManager, connectors: nn.ModuleDict,
                 release_records: bool, finite_flags: bool) -> None:
        self.loss_arguments = loss_arguments
        self.student_recorders = student_recorders
        self.teacher_recorders = teacher_recorders
        self.connectors = connectors
        self.release_records = release_records
        self.finite_flags = finite_flags
        #: teacher record name -> 0-dim "all finite" flag taken when the
        #: record was released
        self.released_teacher_finite: Dict[str, torch.Tensor] = {}

    def inputs(
            self, loss_names: Optional[Sequence[str]] = None,
            arg_names: Optional[Sequence[str]] = None,
            release: bool = False) -> Iterator[Tuple[str, Dict[str, object]]]:
        """Yield ``(loss name, {argument -> value})`` in order (a value
        shared by several arguments is computed once). With ``release``,
        values no later loss reads are dropped from the shared cache, and
        (``release_records``) records no later loss reads from their
        recorders, before the loss that reads them is yielded (its
        arguments hold what it needs; the caller evaluates it before the
        next loss's inputs are computed): a training step then does not
        hold every loss's connector outputs at once, nor a record a
        connector has already mapped."""
        names = list(
            self.loss_arguments) if loss_names is None else list(loss_names)
        unknown = [n for n in names if n not in self.loss_arguments]
        if unknown:
            raise KeyError(f'No distillation loss {unknown}; defined: '
                           f'{sorted(self.loss_arguments)}.')
        wanted = {
            name: [
                a for a in self.loss_arguments[name]
                if arg_names is None or a in arg_names
            ]
            for name in names
        }
        cache: dict = {}
        for position, name in enumerate(names):
            arguments = self.loss_arguments[name]
            values = {}
            for arg in wanted[name]:
                argument = arguments[arg]
                key = argument.key()
                if key not in cache:
                    cache[key] = argument.compute(self.student_recorders,
                                                  self.teacher_recorders,
                                                  self.connectors, cache)
                values[arg] = cache[key]
            if release:  # ``values`` holds what this loss reads
                later_args = [
                    self.loss_arguments[n][a] for n in names[position + 1:]
                    for a in wanted[n]
                ]
                later = {
                    k
                    for a in later_args
                    for k in (a.key(), a.connector_key())
                }
                for key in [k for k in cache if k not in later]:
                    del cache[key]
                if self.release_records:
                    self._release([arguments[a] for a in wanted[name]],
                                  later_args)
            yield name, values
            values = None  # the caller's loss holds what backward needs

    def losses(self, distill_losses: nn.ModuleDict,
               task_losses: Optional[dict] = None) -> Dict[str, torch.Tensor]:
        """Evaluate every loss of ``distill_losses`` on the last recorded
        forward, one at a time (:meth:`inputs` with ``release``), after
        checking the shapes of its paired arguments.

        Args:
            distill_losses (nn.ModuleDict): The distiller's losses, named
                as in ``loss_arguments``.
            task_losses (dict, optional): The student's task losses, whose
                names no distillation loss may take.

        Returns:
            dict: ``loss name -> loss``.
        """
        for name in distill_losses:
            if task_losses and name in task_losses:
                raise KeyError(
                    f'Distillation loss {name!r} has the name of a task loss '
                    f'of the student; rename it in the config.')
        results = {}
        for name, kwargs in self.inputs(release=True):
            loss = distill_losses[name]
            check_paired_shapes(name, loss, self.loss_arguments[name], kwargs,
                                self.connectors, self.student_recorders,
                                self.teacher_recorders)
            results[name] = loss(**kwargs)
            del kwargs
        return results

    def check_finite(self, losses: Dict[str, torch.Tensor],
                     teacher_ckpt: Optional[str]) -> None:
        """Raise naming the loss, the iteration and a likely cause when one
        of ``losses`` is NaN or inf (see
        :func:`~.finite_check.check_losses_finite`).

        Args:
            losses (dict): The step's losses, task and distillation.
            teacher_ckpt (str, optional): The teacher's checkpoint, for the
                message.
        """
        check_losses_finite(losses, self.teacher_recorders,
                            self.released_teacher_finite, teacher_ckpt)

    def _release(self, read: Sequence[LossArgument],
                 later: Sequence[LossArgument]) -> None:
        """Release the records ``read`` that no ``later`` argument reads."""
        kept = {a.record_key() for a in later}
        for record in {a.record_key() for a in read} - kept - {None}:
            from_student, name = record
            if from_student:
                self.student_recorders.release(name)
                continue
            if self.finite_flags:  # a flag, no device sync
                self.released_teacher_finite[name] = all_finite(
                    self.teacher_recorders.get(name))
            self.teacher_recorders.release(name)

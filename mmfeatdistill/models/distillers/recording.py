"""The distiller's public recording API: run the models as a training
step does and read the losses' inputs (statistics passes such as ND's
class means use it)."""
from typing import Dict, Optional, Sequence

import torch

from .loss_argument import LossArgument


class RecordingMixin:
    """``record``, ``loss_inputs``, ``compute_loss_inputs`` and
    ``loss_inputs_spec`` of :class:`FeatureDistiller` (its ``teacher``,
    ``student``, recorders, ``teacher_inputs``, ``teacher_forward_mode``,
    ``loss_arguments`` and ``pipeline``)."""

    def record(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
               student: bool = True, teacher: bool = True) -> Optional[dict]:
        """Run the teacher (``teacher_forward_mode``, no gradient, first)
        and the student (``loss`` mode) with their recorders on, as a
        training step does. Returns the student's task losses (None when
        the student did not run)."""
        if teacher and self.teacher_recorders.recorders:
            with torch.no_grad(), self.teacher_recorders:
                self.teacher(self.teacher_inputs(inputs), data_samples,
                             mode=self.teacher_forward_mode)
        if not student:
            return None
        with self.student_recorders:
            return dict(self.student(inputs, data_samples, mode='loss'))

    def loss_inputs(self, loss_names: Optional[Sequence[str]] = None,
                    arg_names: Optional[Sequence[str]] = None) -> dict:
        """The arguments of the named losses for the last recorded forward:
        ``loss name -> {argument -> value}`` (recorded values through their
        connectors; a value shared by several arguments is computed once).

        Args:
            loss_names (Sequence[str], optional): Losses (default: all).
            arg_names (Sequence[str], optional): Only these arguments of
                each loss (default: all).
        """
        return dict(self.pipeline.inputs(loss_names, arg_names))

    def compute_loss_inputs(self, inputs: torch.Tensor,
                            data_samples: Optional[list],
                            loss_names: Sequence[str],
                            arg_names: Optional[Sequence[str]] = None) -> dict:
        """Run the models a training step runs for the requested arguments
        (the student only when one of them is recorded on it) and return
        them (see :meth:`loss_inputs`). Models run in their current modes;
        call under ``torch.no_grad()`` for statistics."""
        reads = [
            argument for name in loss_names
            for arg, argument in self.loss_inputs_spec(name).items()
            if arg_names is None or arg in arg_names
        ]
        self.record(inputs, data_samples,
                    student=any(a.reads_student for a in reads),
                    teacher=any(a.reads_teacher for a in reads))
        return self.loss_inputs(loss_names, arg_names)

    def loss_inputs_spec(self, loss_name: str) -> Dict[str, LossArgument]:
        """The configured arguments of ``loss_name`` (read only)."""
        if loss_name not in self.loss_arguments:
            raise KeyError(f'No distillation loss {loss_name!r}; defined: '
                           f'{sorted(self.loss_arguments)}.')
        return dict(self.loss_arguments[loss_name])

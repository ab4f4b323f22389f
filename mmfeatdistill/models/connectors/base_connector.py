"""Base class of the connectors (feature transforms between recorders and
losses)."""
from typing import Optional

from mmengine.model import BaseModule
from torch import nn


class BaseConnector(BaseModule):
    """A module applied to a recorded feature before a loss.

    Connectors live in the distiller's ``connectors`` ``ModuleDict``: those
    with parameters train with the student (they are in the optimizer) and
    they are all left out of the exported student.

    :meth:`prepare` is called once by the distiller after the teacher
    checkpoint is loaded, for connectors that derive something from the
    models or from the checkpoint (OFD's margins from the teacher's BN,
    TOFD's trained teacher heads from the checkpoint).

    ``produces_targets`` is True on connectors that turn recorded data
    samples (or an assigner's targets) into ground-truth targets (labels,
    label maps): their output carries no gradient to any parameter, so a
    distillation loss whose only student input is such a target trains
    nothing (the distiller refuses it when it is built).
    """

    #: The output is a ground-truth target, not a feature (see above).
    produces_targets: bool = False

    def prepare(self, student: nn.Module, teacher: nn.Module,
                teacher_checkpoint: Optional[dict] = None) -> None:
        """Derive state from the loaded models. Does nothing by default.

        Args:
            student (nn.Module): The student model.
            teacher (nn.Module): The teacher model, checkpoint loaded.
            teacher_checkpoint (dict, optional): The teacher checkpoint as
                loaded (read once by the distiller), e.g. for entries
                beside the teacher's weights.
        """

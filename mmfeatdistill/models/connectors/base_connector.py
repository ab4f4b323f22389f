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
    """

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

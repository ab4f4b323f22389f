from .base_connector import BaseConnector
from .conv_connector import ConvConnector
from .embedding_transform_connector import EmbeddingTransformConnector
from .gt_label_connector import GTLabelConnector
from .ofd_connectors import OFDStudentConnector, OFDTeacherConnector
from .projector_ensemble_connector import ProjectorEnsembleConnector
from .tofd_aux_head import TOFDAuxHead

__all__ = [
    'BaseConnector', 'ConvConnector', 'OFDTeacherConnector',
    'OFDStudentConnector', 'ProjectorEnsembleConnector',
    'EmbeddingTransformConnector', 'GTLabelConnector', 'TOFDAuxHead'
]

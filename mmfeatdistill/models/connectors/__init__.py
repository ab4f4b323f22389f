from .base_connector import BaseConnector
from .conv_connector import ConvConnector
from .ofd_connectors import OFDStudentConnector, OFDTeacherConnector

__all__ = [
    'BaseConnector', 'ConvConnector', 'OFDTeacherConnector',
    'OFDStudentConnector'
]

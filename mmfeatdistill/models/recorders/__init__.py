from .base_recorder import (BaseRecorder, clone_tensors,
                            get_submodule_or_explain)
from .function_recorders import FunctionInputRecorder, FunctionOutputRecorder
from .method_recorders import MethodInputRecorder, MethodOutputRecorder
from .module_recorders import ModuleInputRecorder, ModuleOutputRecorder
from .recorder_manager import RecorderManager

__all__ = [
    'BaseRecorder', 'clone_tensors', 'get_submodule_or_explain',
    'ModuleOutputRecorder', 'ModuleInputRecorder', 'MethodOutputRecorder',
    'MethodInputRecorder', 'FunctionOutputRecorder', 'FunctionInputRecorder',
    'RecorderManager'
]

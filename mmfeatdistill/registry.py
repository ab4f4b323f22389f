"""Registries of ``mmfeatdistill``, children of MMEngine's root registries.

The scope of every registry is ``mmfeatdistill`` (inferred from the package
name), so a config with ``default_scope = 'mmfeatdistill'`` finds both our
components and MMEngine's (through the parent). ``locations`` makes a lookup
by name import the modules that register the components, so
``dict(type='FeatureDistiller')`` works without a prior import. Components of
mmpretrain / mmdet / mmseg are built in their own scope (``_scope_``).
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import STRATEGIES as MMENGINE_STRATEGIES
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

_MODELS = ['mmfeatdistill.models']
_ENGINE = ['mmfeatdistill.engine']
_ALL = _MODELS + _ENGINE

#: Distillers, recorders, connectors and losses.
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=_MODELS)
#: Helpers that are not modules (schedules of loss attributes).
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS,
                      locations=_MODELS)
#: Training hooks (connector warm-up, schedules of loss weights, ...).
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=_ENGINE)
#: Optimizer wrapper constructors (the one that leaves the teacher out).
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, locations=_ENGINE)
#: FlexibleRunner strategies (the distiller's FSDP, on CPU too).
STRATEGIES = Registry('strategy', parent=MMENGINE_STRATEGIES,
                      locations=_ENGINE)

# Children without components of ours, so that every lookup under the
# ``mmfeatdistill`` scope resolves (through the parent) without warnings.
# Their location imports the package's components: with ``mmfeatdistill`` in
# MMEngine's MODULE2PACKAGE (``mmfeatdistill::`` configs), a registry
# without one would look for ``mmfeatdistill.utils.register_all_modules``.
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=_ALL)
RUNNER_CONSTRUCTORS = Registry('runner constructor',
                               parent=MMENGINE_RUNNER_CONSTRUCTORS,
                               locations=_ALL)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=_ALL)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS,
                          locations=_ALL)
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, locations=_ALL)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          locations=_ALL)
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS, locations=_ALL)
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=_ALL)
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         locations=_ALL)
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=_ALL)
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          locations=_ALL)
WEIGHT_INITIALIZERS = Registry('weight initializer',
                               parent=MMENGINE_WEIGHT_INITIALIZERS,
                               locations=_ALL)
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=_ALL)
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=_ALL)
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       locations=_ALL)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS,
                       locations=_ALL)
#: FSDP's auto-wrap policies and the like, looked up by the FSDP wrappers
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=_ALL)

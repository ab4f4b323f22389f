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


def _child(parent: Registry) -> Registry:
    """A child of MMEngine's ``parent`` (with its name) without components
    of ours, so that every lookup under the ``mmfeatdistill`` scope resolves
    (through the parent) without warnings.

    Its location imports the package's components: with ``mmfeatdistill``
    in MMEngine's MODULE2PACKAGE (``mmfeatdistill::`` configs), a registry
    without one would look for ``mmfeatdistill.utils.register_all_modules``.

    Args:
        parent (Registry): MMEngine's registry.
    """
    return Registry(parent.name, parent=parent, locations=_ALL)


# (FUNCTIONS: FSDP's auto-wrap policies and the like, looked up by the FSDP
# wrappers)
(RUNNERS, RUNNER_CONSTRUCTORS, LOOPS, LOG_PROCESSORS, OPTIMIZERS,
 OPTIM_WRAPPERS, PARAM_SCHEDULERS, DATASETS, DATA_SAMPLERS, TRANSFORMS,
 MODEL_WRAPPERS, WEIGHT_INITIALIZERS,
 METRICS, EVALUATOR, VISUALIZERS, VISBACKENDS, FUNCTIONS) = map(
     _child,
     (MMENGINE_RUNNERS, MMENGINE_RUNNER_CONSTRUCTORS, MMENGINE_LOOPS,
      MMENGINE_LOG_PROCESSORS, MMENGINE_OPTIMIZERS, MMENGINE_OPTIM_WRAPPERS,
      MMENGINE_PARAM_SCHEDULERS, MMENGINE_DATASETS, MMENGINE_DATA_SAMPLERS,
      MMENGINE_TRANSFORMS, MMENGINE_MODEL_WRAPPERS,
      MMENGINE_WEIGHT_INITIALIZERS, MMENGINE_METRICS, MMENGINE_EVALUATOR,
      MMENGINE_VISUALIZERS, MMENGINE_VISBACKENDS, MMENGINE_FUNCTIONS))

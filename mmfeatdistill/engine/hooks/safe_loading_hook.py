"""Load checkpoints weights-only for the length of a run."""
from contextlib import ExitStack
from typing import Optional

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils.checkpoint import safe_loaders, trust_checkpoints


@HOOKS.register_module()
class SafeLoadingHook(Hook):
    """From ``before_run`` to ``after_run``, MMEngine's ``CheckpointLoader``
    reads checkpoints with :func:`~mmfeatdistill.utils.checkpoint.
    safe_loaders`: weights-only, with the types OpenMMLab checkpoints hold
    allowed, anything else refused with an error that names the opt-in.

    MMEngine's ``Runner`` calls ``before_run`` before it initialises the
    weights (``init_cfg`` checkpoints) and before ``load_from`` /
    ``resume``, so all of such a run's loads go through it; importing
    mmfeatdistill changes nothing. A ``FlexibleRunner`` loads and resumes
    before ``before_run``: the project's FSDP strategy
    (``DistillerFSDPStrategy``) opens the same block itself. After the
    run (``after_run``) MMEngine's own loaders are back. A run that stops
    with an exception never reaches ``after_run`` and leaves the safe
    loaders in place for the rest of the process. The runtime bases
    declare it as ``default_hooks.safe_loading``. The config's
    ``trust_checkpoints = True`` opts in to full unpickling for the run, as
    ``tools/train.py`` does.
    """

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self._stack: Optional[ExitStack] = None

    def before_run(self, runner) -> None:
        if self._stack is None:
            self._stack = ExitStack()
            self._stack.enter_context(safe_loaders())
            trusted = runner.cfg.get('trust_checkpoints', False)
            self._stack.enter_context(trust_checkpoints(trusted is True))

    def after_run(self, runner) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None

"""Test-only hook: the training process kills itself (SIGKILL, as a killed
machine or an out-of-memory kill would) after a given iteration, once: it
first writes a marker file, and does nothing when the marker exists.

Loaded by a test's config through ``custom_imports``; it registers into
the ``mmfeatdistill`` HOOKS registry. Not part of the package.
"""
import os
import os.path as osp
import signal

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS


@HOOKS.register_module()
class KillOnceHook(Hook):
    """Args:
        iteration (int): Kill after this (1-based) training iteration.
        marker (str): The file that says the kill happened already.
    """

    #: killing the process changes no weight (not in the stage key)
    changes_weights = False

    def __init__(self, iteration: int, marker: str) -> None:
        self.iteration = iteration
        self.marker = marker

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.iteration and not osp.exists(self.marker):
            open(self.marker, 'w').close()
            os.kill(os.getpid(), signal.SIGKILL)

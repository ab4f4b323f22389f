"""Make sure ND's class means exist before training."""
from typing import Optional, Sequence, Union

from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS


@HOOKS.register_module()
class ClassMeansHook(Hook):
    """Before training, compute the teacher's class means when the ND loss's
    file does not exist (same extraction as ``tools/compute_class_means.py``:
    teacher in eval mode over the training set with its training pipeline),
    then check the file against the run (classes, embedding size, teacher
    checkpoint hash) and install the means in the loss.

    Args:
        loss_names (str | list[str], optional): The ND losses in
            ``distill_losses`` (e.g. one per detection level). Defaults to
            every ND loss of the model.
        progress (bool): Show a progress bar. Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, loss_names: Optional[Union[str, Sequence[str]]] = None,
                 progress: bool = True) -> None:
        self.loss_names = loss_names
        self.progress = progress

    def before_train(self, runner) -> None:
        from mmfeatdistill.utils.class_means import class_means_for_runner
        class_means_for_runner(runner, self.loss_names,
                               progress=self.progress)

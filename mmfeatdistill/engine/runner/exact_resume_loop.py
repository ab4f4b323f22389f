"""MMEngine's epoch-based training loop, resumable mid-epoch."""
from typing import Dict, List, Optional, Tuple, Union

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from mmfeatdistill.registry import LOOPS
from .sample_seeding import SeededBatchSampler, seeded_dataloader


@LOOPS.register_module()
class ExactResumeEpochBasedTrainLoop(EpochBasedTrainLoop):
    """:class:`mmengine.runner.EpochBasedTrainLoop` (same arguments) whose
    resume from a checkpoint saved mid-epoch continues exactly as the
    uninterrupted run.

    MMEngine 0.10.7 restarts the resumed epoch from its first batch: an
    epoch-based run with iteration checkpoints trains more iterations than
    configured after a resume, with other batches. Here:

    * the resumed epoch leaves out the batches it had already trained on
      (the sampler's order depends only on the seed and the epoch), without
      loading them;
    * every sample's augmentation is seeded by ``(seed, epoch, sample)``
      (:class:`~.sample_seeding.SeededDataset`), so it does not depend on
      which loader worker loads it or on what was loaded before: exact
      with loader workers, persistent or not, and different in every epoch.

    The model's own random streams (torch's, numpy's and python's global
    generators: dropout and the like) are restored by
    :class:`~mmfeatdistill.engine.hooks.RNGStateHook`. ``tools/train.py``
    uses this loop for every epoch-based config.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader or dict): The training data loader.
        max_epochs (int): Total training epochs.
        val_begin (int): The epoch that begins validating. Defaults to 1.
        val_interval (int): Validation interval. Defaults to 1.
        dynamic_intervals (list[tuple[int, int]], optional): As MMEngine's.
        by_epoch (bool): Accepted for a loop built directly; in a config
            MMEngine's Runner refuses ``by_epoch`` beside ``type``, so a
            pair base on a package schedule that says ``by_epoch=True``
            replaces it (``distill_runtime(max_epochs=...)``). False is an
            error. Defaults to True.
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict],
                 max_epochs: int, val_begin: int = 1, val_interval: int = 1,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None,
                 by_epoch: bool = True) -> None:
        if not by_epoch:
            raise ValueError(
                'ExactResumeEpochBasedTrainLoop trains by epoch, but '
                'train_cfg says by_epoch=False: for an iteration-based '
                "schedule set train_cfg.type='IterBasedTrainLoop' (or "
                "drop the type and keep by_epoch=False with a pair base's "
                'distill_runtime(by_epoch=False)).')
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        seeded = seeded_dataloader(self.dataloader, runner.seed)
        if seeded is None:
            print_log(
                'ExactResumeEpochBasedTrainLoop: the training loader has no '
                'batch sampler (batch_size=None); a resumed epoch restarts '
                'from its first batch, as in MMEngine.', logger='current',
                level=30)
        else:
            self.dataloader = seeded

    def run_epoch(self) -> None:
        """Iterate one epoch, from the first batch not trained on yet."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        start = 0
        batches = self.dataloader.batch_sampler
        if isinstance(batches, SeededBatchSampler):
            start = self._iter - self._epoch * len(self.dataloader)
            if not 0 <= start <= len(self.dataloader):
                print_log(
                    f'Resumed at iteration {self._iter} of epoch '
                    f'{self._epoch}, which does not fit {len(self.dataloader)}'
                    f' batches per epoch (another batch size or data set?): '
                    f'the epoch restarts from its first batch.',
                    logger='current', level=30)
                start = 0
            elif start:
                print_log(
                    f'Resuming epoch {self._epoch + 1} at batch {start + 1} '
                    f'of {len(self.dataloader)} (the first {start} were '
                    f'trained on before the checkpoint).', logger='current')
            batches.epoch, batches.skip = self._epoch, start
        for idx, data_batch in enumerate(self.dataloader, start):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

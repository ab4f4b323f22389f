"""One ordered pass over the training set, for statistics computed before
training (e.g. ND's class means), that leaves the run as it was."""
import contextlib
import random
from typing import Iterator

import numpy as np
import torch
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader


@contextlib.contextmanager
def preserved_rng_state() -> Iterator[None]:
    """Leave Python's, NumPy's and torch's global RNG states as they were:
    iterating a dataloader draws from them (random transforms, worker
    seeds), and a run must train the same whether or not a statistics pass
    ran in it (exact resume)."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


@contextlib.contextmanager
def eval_mode(module: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Run ``module`` in eval mode, then restore its previous mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def one_pass_dataloader(runner) -> DataLoader:
    """The runner's training set once, in order, split over the ranks:
    its dataset (training pipeline), batch size, workers and collate
    function with a :class:`DefaultSampler` without shuffling or padding.

    The training dataloader itself does not serve: iteration-based
    configs (mmseg's) sample it with an ``InfiniteSampler``, whose pass
    never ends, and drawing from it would shift the batches that training
    then sees.

    Args:
        runner (Runner): A built MMEngine Runner.

    Returns:
        DataLoader: The one-pass loader.
    """
    loader = runner.train_dataloader
    # mmdet's configs batch with a batch sampler (aspect-ratio groups)
    batch_size = loader.batch_size or loader.batch_sampler.batch_size
    return DataLoader(
        loader.dataset, batch_size=batch_size,
        sampler=DefaultSampler(loader.dataset, shuffle=False, round_up=False),
        num_workers=loader.num_workers, collate_fn=loader.collate_fn)

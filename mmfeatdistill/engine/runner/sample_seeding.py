"""Data augmentation that depends only on (seed, epoch, sample): what an
exact mid-epoch resume needs, with or without loader workers."""
import random
from typing import Any, Iterator, List, Optional, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The 32-bit seed of one sample's pipeline in one epoch (independent
    streams for every ``(seed, epoch, index)``, numpy's ``SeedSequence``)."""
    return int(
        np.random.SeedSequence([seed % 2**32, epoch,
                                index]).generate_state(1)[0])


class SeededBatchSampler:
    """A batch sampler that tags every index with its sample's seed and can
    start an epoch past its first batches.

    Each batch of the wrapped batch sampler becomes a list of
    ``(sample seed, index)`` pairs (read by :class:`SeededDataset`), so a
    sample's augmentation does not depend on the worker that loads it, the
    samples loaded before it, or whether the epoch was resumed. ``sampler``
    is the wrapped one's, so MMEngine's ``DistSamplerSeedHook`` still sets
    its epoch.

    Args:
        batch_sampler: The loader's batch sampler (MMEngine builds a
            ``BatchSampler`` over the configured sampler).
        seed (int): The run's seed.
    """

    def __init__(self, batch_sampler: Any, seed: int) -> None:
        self.batch_sampler = batch_sampler
        self.seed = int(seed)
        #: Set by the loop before each epoch's iterator is made: the epoch,
        #: and the batches to leave out at its start (a resumed epoch).
        #: (torch's loader iterators may call ``iter`` twice per epoch.)
        self.epoch = 0
        self.skip = 0

    @property
    def sampler(self) -> Any:
        return getattr(self.batch_sampler, 'sampler', None)

    def __getattr__(self, name: str) -> Any:
        # the wrapped one's ``batch_size``, ``drop_last``, ...
        if name == 'batch_sampler' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.batch_sampler, name)

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[List[Tuple[int, int]]]:
        # read now: a loader with workers draws its first batches when its
        # iterator is made
        return self._batches(self.epoch, self.skip)

    def _batches(self, epoch: int,
                 skip: int) -> Iterator[List[Tuple[int, int]]]:
        for number, batch in enumerate(self.batch_sampler):
            if number >= skip:
                yield [(sample_seed(self.seed, epoch, int(i)), i)
                       for i in batch]


class SeededDataset(Dataset):
    """A dataset whose ``[(seed, index)]`` seeds python's, numpy's and
    torch's global generators with ``seed`` and returns ``dataset[index]``.

    In the main process (no loader workers) the generators' states are put
    back afterwards, so loading data does not move the model's random
    streams (dropout). Every other attribute is the wrapped dataset's
    (``metainfo``, ``pipeline``, ...).

    Args:
        dataset (Dataset): The wrapped dataset.
    """

    def __init__(self, dataset: Dataset) -> None:
        self.__dict__['dataset'] = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: Any) -> Any:
        if not isinstance(item, tuple):
            return self.dataset[item]
        seed, index = item
        if get_worker_info() is not None:
            _seed_all(seed)
            return self.dataset[index]
        state = (random.getstate(), np.random.get_state(),
                 torch.get_rng_state())
        try:
            _seed_all(seed)
            return self.dataset[index]
        finally:
            random.setstate(state[0])
            np.random.set_state(state[1])
            torch.set_rng_state(state[2])

    def __getattr__(self, name: str) -> Any:
        if name == 'dataset' or name.startswith('__'):
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __setattr__(self, name: str, value: Any) -> None:
        # e.g. mmdet's PipelineSwitchHook sets ``dataset.pipeline``
        setattr(self.dataset, name, value)

    def __getstate__(self) -> dict:
        return dict(self.__dict__)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


def _seed_all(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    # the CPU generator only (the one pipelines draw from), as
    # ``torch.manual_seed`` seeds it: that call also queues a seed of every
    # accelerator's generators with a formatted stack trace each time,
    # 3/4 of a Fashion-MNIST sample's loading time (benchmarks/results/
    # step_profile.md)
    torch.default_generator.manual_seed(seed)


def seeded_dataloader(loader: DataLoader, seed: int) -> Optional[DataLoader]:
    """``loader`` with :class:`SeededDataset` and
    :class:`SeededBatchSampler` (same workers, collate function, worker
    initialisation and other settings); None when it has no batch sampler
    (``batch_size=None``), which has no batches to skip.

    Args:
        loader (DataLoader): A loader built by MMEngine's Runner.
        seed (int): The run's seed.
    """
    if loader.batch_sampler is None:
        return None
    extra = {}
    if loader.num_workers > 0:
        extra = dict(prefetch_factor=loader.prefetch_factor,
                     persistent_workers=loader.persistent_workers)
    return DataLoader(
        SeededDataset(loader.dataset),
        batch_sampler=SeededBatchSampler(loader.batch_sampler, seed),
        num_workers=loader.num_workers,
        collate_fn=loader.collate_fn,
        pin_memory=loader.pin_memory,
        timeout=loader.timeout,
        worker_init_fn=loader.worker_init_fn,
        multiprocessing_context=loader.multiprocessing_context,
        # its own generator: making an epoch's iterator then draws no worker
        # base seed from torch's global stream (workers are seeded per
        # sample anyway), so resumed runs keep the model's random streams
        generator=loader.generator or torch.Generator(),
        pin_memory_device=loader.pin_memory_device,
        **extra)

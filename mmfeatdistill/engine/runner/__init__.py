from .exact_resume_loop import ExactResumeEpochBasedTrainLoop
from .sample_seeding import SeededBatchSampler, SeededDataset, sample_seed

__all__ = [
    'ExactResumeEpochBasedTrainLoop', 'SeededBatchSampler', 'SeededDataset',
    'sample_seed'
]

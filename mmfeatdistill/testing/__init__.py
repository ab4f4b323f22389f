"""Helpers for tests, benchmarks and smoke runs (as ``mmengine.testing``):
packed batches of each task and local teacher checkpoints."""
from .batchnorm import randomize_bn
from .checkpoints import (save_model_checkpoint, save_teacher_with_heads,
                          save_trained_like_teacher)
from .data import cls_batch, det_batch, seg_batch

__all__ = [
    'cls_batch', 'det_batch', 'seg_batch', 'save_model_checkpoint',
    'save_trained_like_teacher', 'save_teacher_with_heads', 'randomize_bn'
]

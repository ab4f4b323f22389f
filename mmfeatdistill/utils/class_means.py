"""Per-class mean embeddings of the teacher (ND's class centres): extraction
over a dataloader, the file format and its checks."""
import contextlib
import hashlib
import os
import os.path as osp
import random
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import dist
from tqdm import tqdm

from .data_samples import gt_labels, unwrap_model

FORMAT_VERSION = 1


def teacher_checkpoint_hash(ckpt: Optional[str]) -> str:
    """sha256 of a local teacher checkpoint's bytes; for a URL (or None),
    of the string, since the file is not at hand."""
    digest = hashlib.sha256()
    if ckpt and osp.isfile(ckpt):
        with open(ckpt, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
    else:
        digest.update(str(ckpt).encode())
    return digest.hexdigest()


def save_class_means(path: str, means: torch.Tensor, counts: torch.Tensor,
                     classes: Sequence[str], teacher_hash: str) -> None:
    """Write the class-means file (a dict loadable with weights_only)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    torch.save(dict(version=FORMAT_VERSION, class_means=means.float().cpu(),
                    counts=counts.long().cpu(), classes=list(classes),
                    embedding_dim=int(means.shape[1]),
                    teacher_hash=teacher_hash), path)


def load_class_means(path: str, classes: Optional[Sequence[str]] = None,
                     embedding_dim: Optional[int] = None,
                     teacher_hash: Optional[str] = None) -> torch.Tensor:
    """Read a class-means file and check it against the run.

    Raises:
        ValueError: when the classes, the embedding size or the teacher
            checkpoint hash differ from the given ones.
    """
    data = torch.load(path, map_location='cpu', weights_only=True)
    problems = []
    if classes is not None and list(data['classes']) != list(classes):
        problems.append(
            f"classes: file has {len(data['classes'])} "
            f"({', '.join(map(str, data['classes'][:5]))}, ...), the dataset "
            f"{len(classes)} ({', '.join(map(str, list(classes)[:5]))}, ...)")
    if embedding_dim is not None and data['embedding_dim'] != embedding_dim:
        problems.append(f"embedding size: file {data['embedding_dim']}, "
                        f'teacher feature {embedding_dim}')
    if teacher_hash is not None and data['teacher_hash'] != teacher_hash:
        problems.append('teacher checkpoint: the file was computed with '
                        'another teacher checkpoint (sha256 differs)')
    if problems:
        raise ValueError(
            f'Class-means file {path} does not fit this run: '
            + '; '.join(problems) + '. Delete it (ClassMeansHook recomputes '
            'it) or run `python tools/compute_class_means.py CONFIG`.')
    return data['class_means']


@contextlib.contextmanager
def eval_mode(module: torch.nn.Module):
    """Run ``module`` in eval mode, then restore its previous mode."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def teacher_embeddings(distiller, data: dict, recorder: str,
                       index: Optional[int]) -> torch.Tensor:
    """The teacher's recorded embedding for one preprocessed batch, as
    (B, D) (maps are average-pooled)."""
    with distiller.teacher_recorders:
        distiller.teacher(data['inputs'], data['data_samples'],
                          mode='tensor')
    feats = distiller.teacher_recorders.get(recorder)
    if index is not None:
        feats = feats[index]
    if feats.dim() == 4:
        feats = feats.mean(dim=(2, 3))
    return feats


@torch.no_grad()
def extract_class_means(distiller, dataloader, recorder: str,
                        index: Optional[int], num_classes: int,
                        progress: bool = True
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Average the teacher's recorded embedding per class over
    ``dataloader`` (teacher in eval mode; sums over all ranks).

    Returns:
        tuple: means (num_classes, D) and counts (num_classes,).
    """
    sums: Optional[torch.Tensor] = None
    counts = torch.zeros(num_classes, dtype=torch.float64)
    show = progress and dist.get_rank() == 0
    with eval_mode(distiller.teacher):
        for batch in tqdm(dataloader, desc='class means', disable=not show):
            data = distiller.data_preprocessor(batch, False)
            feats = teacher_embeddings(distiller, data, recorder, index)
            labels = gt_labels(data['data_samples']).cpu()
            feats = feats.double().cpu()
            if sums is None:
                sums = torch.zeros(num_classes, feats.shape[1],
                                   dtype=torch.float64)
            sums.index_add_(0, labels, feats)
            counts += torch.bincount(labels, minlength=num_classes).double()
    if sums is None:
        raise RuntimeError('class means: the dataloader yielded no batch')
    dist.all_reduce(sums)
    dist.all_reduce(counts)
    empty = (counts == 0).nonzero().flatten().tolist()
    if empty:
        raise RuntimeError(f'class means: classes {empty[:10]} have no '
                           f'sample in the training set')
    return (sums / counts[:, None]).float(), counts.long()


@contextlib.contextmanager
def preserved_rng_state():
    """Leave Python's, NumPy's and torch's global RNG states as they were:
    iterating a dataloader draws from them (random transforms, worker
    seeds), and a run must train the same whether or not the class means
    were computed in it (exact resume)."""
    states = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])


def class_means_for_runner(runner, loss_name: str = 'loss_nd',
                           path: Optional[str] = None,
                           progress: bool = True) -> List[str]:
    """Compute (when missing), check and install the class means of the
    ND loss ``loss_name`` of ``runner.model``; returns the class names.

    The embedding is the one the loss receives as ``t_feature`` (its
    teacher recorder and index in ``loss_forward_mappings``).
    """
    model = unwrap_model(runner.model)
    if loss_name not in getattr(model, 'distill_losses', {}):
        raise KeyError(f'No distillation loss {loss_name!r} in the model '
                       f'(losses: {sorted(getattr(model, "distill_losses", {}))}).')
    loss = model.distill_losses[loss_name]
    path = path or loss.class_means_path
    if not path:
        raise ValueError(f'{loss_name} has no class_means path to write to.')
    argument = model.loss_arguments[loss_name]['t_feature']
    dataloader = runner.train_dataloader
    classes = list(dataloader.dataset.metainfo['classes'])
    teacher_hash = teacher_checkpoint_hash(model.teacher_ckpt)
    with preserved_rng_state():
        return _class_means_for_runner(runner, model, loss, path, argument,
                                       dataloader, classes, teacher_hash,
                                       progress)


def _class_means_for_runner(runner, model, loss, path, argument, dataloader,
                            classes, teacher_hash, progress) -> List[str]:
    if not osp.exists(path):
        runner.logger.info(f'Computing the teacher class means into {path} '
                           f'({len(dataloader)} batches).')
        means, counts = extract_class_means(
            model, dataloader, argument.recorder, argument.index,
            len(classes), progress)
        if dist.get_rank() == 0:
            save_class_means(path, means, counts, classes, teacher_hash)
        dist.barrier()
        dim = int(means.shape[1])
    else:  # a file from elsewhere: check it against the teacher's feature
        dim = _teacher_embedding_dim(model, dataloader, argument)
    means = load_class_means(path, classes, dim, teacher_hash)
    loss.set_class_means(means)
    return classes


@torch.no_grad()
def _teacher_embedding_dim(distiller, dataloader, argument) -> int:
    """Size of the teacher embedding the loss receives (one batch)."""
    with eval_mode(distiller.teacher):
        data = distiller.data_preprocessor(next(iter(dataloader)), False)
        feats = teacher_embeddings(distiller, data, argument.recorder,
                                   argument.index)
    return int(feats.shape[1])

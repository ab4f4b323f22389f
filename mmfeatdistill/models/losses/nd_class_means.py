"""ND's class means: the teacher's per-class mean embeddings over the
training set, computed with the distiller's public API, and their file."""
import warnings
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine import dist
from tqdm import tqdm

from .nd_loss import NDLoss

#: Version of the file format (2: teacher identity = weights fingerprint).
FORMAT_VERSION = 2
_FIELDS = ('version', 'class_means', 'counts', 'classes', 'embedding_dim',
           'teacher_fingerprint')


class ClassMeansMismatch(ValueError):
    """A readable class-means file computed for another run."""


def save_class_means(path: str, means: torch.Tensor, counts: torch.Tensor,
                     classes: Sequence[str], teacher_fingerprint: str) -> None:
    """Write the class-means file atomically (a dict of tensors, strings and
    ints: loadable with ``weights_only=True``).

    Args:
        path (str): The file.
        means (Tensor): (num_classes, D) class means.
        counts (Tensor): (num_classes,) rows per class.
        classes (Sequence[str]): The data set's class names.
        teacher_fingerprint (str): The teacher's weights fingerprint
            (:meth:`FeatureDistiller.teacher_fingerprint`).
    """
    from mmfeatdistill.utils import atomic_save
    atomic_save(
        dict(version=FORMAT_VERSION, class_means=means.float().cpu(),
             counts=counts.long().cpu(), classes=list(classes),
             embedding_dim=int(means.shape[1]),
             teacher_fingerprint=teacher_fingerprint), path)


def read_class_means(path: str) -> dict:
    """Read a class-means file (``weights_only``).

    Raises:
        OSError: the file cannot be read as a class-means file (truncated,
            empty, another format); the message names the file.
    """
    try:
        data = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:  # truncated zip, pickle error, empty file
        raise OSError(
            f'Class-means file {path} cannot be read ({err}).') from err
    if not isinstance(data, dict) or any(f not in data for f in _FIELDS) \
            or data['version'] != FORMAT_VERSION:
        raise OSError(
            f'Class-means file {path} is not a class-means file of format '
            f'version {FORMAT_VERSION} (fields {_FIELDS}).')
    return data


def check_class_means(
        path: str, data: dict, classes: Optional[Sequence[str]] = None,
        embedding_dim: Optional[int] = None,
        teacher_fingerprint: Optional[str] = None) -> torch.Tensor:
    """Check a read class-means file against the run; return its means.

    Raises:
        ClassMeansMismatch: the classes, the embedding size or the teacher
            weights differ from the given ones.
    """
    problems = []
    if classes is not None and list(data['classes']) != list(classes):
        problems.append(
            f"classes: file has {len(data['classes'])} "
            f"({', '.join(map(str, data['classes'][:5]))}, ...), the dataset "
            f"{len(classes)} ({', '.join(map(str, list(classes)[:5]))}, ...)")
    if embedding_dim is not None and data['embedding_dim'] != embedding_dim:
        problems.append(f"embedding size: file {data['embedding_dim']}, "
                        f'teacher feature {embedding_dim}')
    if teacher_fingerprint is not None and \
            data['teacher_fingerprint'] != teacher_fingerprint:
        problems.append('teacher: the file was computed with other teacher '
                        'weights')
    if problems:
        raise ClassMeansMismatch(
            f'Class-means file {path} does not fit this run: ' +
            '; '.join(problems) + '. Delete it (ClassMeansHook recomputes '
            'it) or run `python tools/compute_class_means.py CONFIG`.')
    return data['class_means']


def _rows_inputs(
        distiller, data: dict,
        names: Sequence[str]) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """``name -> (t_feature, labels)`` of one preprocessed batch, exactly as
    the losses receive them in training."""
    inputs = distiller.compute_loss_inputs(data['inputs'],
                                           data['data_samples'], names,
                                           arg_names=('t_feature', 'labels'))
    return {n: (inputs[n]['t_feature'], inputs[n]['labels']) for n in names}


@torch.no_grad()
def extract_class_means(
        distiller, dataloader, loss_names: Sequence[str], num_classes: int,
        progress: bool = True) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Average the teacher's embeddings per class over ``dataloader``, for
    each ND loss in ``loss_names`` in one pass (call with the distiller in
    eval mode; sums over all ranks). Which rows are averaged is the loss's
    (:meth:`NDLoss.class_sums`): one per image, per labelled pixel at label
    resolution (:class:`DenseNDLoss`), per positive anchor
    (:class:`AnchorNDLoss`).

    Args:
        distiller (FeatureDistiller): The model (its
            :meth:`compute_loss_inputs` gives the losses' arguments).
        dataloader (DataLoader): One pass over the training set.
        loss_names (Sequence[str]): ND losses of the distiller.
        num_classes (int): Classes of the data set.
        progress (bool): Show a progress bar (rank 0).

    Returns:
        dict: loss name -> (means (num_classes, D), counts (num_classes,)).
    """
    losses = {n: distiller.distill_losses[n] for n in loss_names}
    for name, loss in losses.items():
        if not isinstance(loss, NDLoss):
            raise TypeError(f'{name} is a {type(loss).__name__}, not an ND '
                            f'loss with class means.')
    sums: Dict[str, torch.Tensor] = {}
    counts: Dict[str, torch.Tensor] = {}
    show = progress and dist.get_rank() == 0
    for batch in tqdm(dataloader, desc='class means', disable=not show):
        data = distiller.data_preprocessor(batch, False)
        for name, (feats, labels) in _rows_inputs(distiller, data,
                                                  loss_names).items():
            batch_sums, batch_counts = losses[name].class_sums(
                feats, labels, num_classes)
            if name not in sums:
                sums[name] = torch.zeros_like(batch_sums)
                counts[name] = torch.zeros_like(batch_counts)
            sums[name] += batch_sums
            counts[name] += batch_counts
    if not sums:
        raise RuntimeError('class means: the dataloader yielded no batch')
    results = {}
    for name in loss_names:
        dist.all_reduce(sums[name])
        dist.all_reduce(counts[name])
        empty = (counts[name] == 0).nonzero().flatten().tolist()
        loss = losses[name]
        if empty and not loss.allow_empty_classes:
            raise RuntimeError(f'class means ({name}): classes {empty[:10]} '
                               f'have no sample in the training set')
        if empty:
            warnings.warn(
                f'class means ({name}): classes {empty[:10]} have no '
                f'{loss.row_kind} in the training set; their means are 0 '
                f'(no direction target: the ND term of such rows has no '
                f'gradient).')
        means = sums[name] / counts[name].clamp_min(1)[:, None]
        results[name] = (means.float(), counts[name].long())
    return results


@torch.no_grad()
def teacher_embedding_dims(distiller, batch: dict,
                           loss_names: Sequence[str]) -> Dict[str, int]:
    """Size of the teacher embedding each loss receives, from one batch
    (call with the distiller in eval mode)."""
    data = distiller.data_preprocessor(batch, False)
    return {
        name: int(feats.shape[1])
        for name, (feats,
                   _) in _rows_inputs(distiller, data, loss_names).items()
    }

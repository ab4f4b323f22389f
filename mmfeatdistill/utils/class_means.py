"""Per-class mean embeddings of the teacher (ND's class centres): extraction
over a dataloader, the file format and its checks."""
import contextlib
import hashlib
import os
import os.path as osp
import random
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine import dist
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader
from tqdm import tqdm

from .data_samples import unwrap_model

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


def nd_loss_names(distiller, loss_names=None) -> List[str]:
    """The ND-type losses (those with ``class_sums``) to compute means for:
    ``loss_names`` (a name or a list) checked, or all of them."""
    losses = getattr(distiller, 'distill_losses', {})
    if loss_names is None:
        names = [n for n, loss in losses.items()
                 if hasattr(loss, 'class_sums')]
    else:
        names = [loss_names] if isinstance(loss_names, str) else list(
            loss_names)
    unknown = [n for n in names
               if n not in losses or not hasattr(losses[n], 'class_sums')]
    if unknown or not names:
        raise KeyError(
            f'No ND loss {unknown or ""} with class means in the model '
            f'(distillation losses: {sorted(losses)}).')
    return names


def nd_inputs(distiller, data: dict, loss_names: Sequence[str]) -> dict:
    """``{loss name: (t_feature, labels)}`` for one preprocessed batch,
    computed exactly as in training (the loss mappings' recorders and
    connectors): the student runs its ``loss`` mode when an argument is
    recorded on it (labels recorded from the head's loss, or a detection
    head's anchor assignment), then the teacher its forward. Call under
    ``torch.no_grad()`` and :func:`eval_mode`."""
    arguments = [distiller.loss_arguments[name][arg]
                 for name in loss_names for arg in ('t_feature', 'labels')]
    if any(a.attribute is None and a.from_student for a in arguments):
        with distiller.student_recorders:
            distiller.student(data['inputs'], data['data_samples'],
                              mode='loss')
    with distiller.teacher_recorders:
        distiller.teacher(data['inputs'], data['data_samples'],
                          mode=distiller.teacher_forward_mode)
    cache: dict = {}
    out = {}
    for name in loss_names:
        values = []
        for arg in ('t_feature', 'labels'):
            argument = distiller.loss_arguments[name][arg]
            if argument.key() not in cache:
                cache[argument.key()] = argument.compute(
                    distiller.student_recorders,
                    distiller.teacher_recorders, distiller.connectors, cache)
            values.append(cache[argument.key()])
        out[name] = tuple(values)
    return out


@torch.no_grad()
def extract_class_means(distiller, dataloader, loss_names: Sequence[str],
                        num_classes: int, progress: bool = True
                        ) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """Average the teacher's embeddings per class over ``dataloader``, for
    each ND loss in ``loss_names`` in one pass (models in eval mode; sums
    over all ranks). Which rows are averaged is the loss's: one per image
    (:class:`NDLoss`), per labelled pixel at label resolution
    (:class:`DenseNDLoss`), per positive anchor (:class:`AnchorNDLoss`).

    Returns:
        dict: loss name -> (means (num_classes, D), counts (num_classes,)).
    """
    sums: Dict[str, torch.Tensor] = {}
    counts: Dict[str, torch.Tensor] = {}
    show = progress and dist.get_rank() == 0
    with eval_mode(distiller):
        for batch in tqdm(dataloader, desc='class means', disable=not show):
            data = distiller.data_preprocessor(batch, False)
            for name, (feats, labels) in nd_inputs(distiller, data,
                                                   loss_names).items():
                batch_sums, batch_counts = distiller.distill_losses[
                    name].class_sums(feats, labels, num_classes)
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
        loss = distiller.distill_losses[name]
        if empty and not getattr(loss, 'allow_empty_classes', False):
            raise RuntimeError(f'class means ({name}): classes {empty[:10]} '
                               f'have no sample in the training set')
        if empty:
            warnings.warn(
                f'class means ({name}): classes {empty[:10]} have no '
                f'{"pixel" if "Dense" in type(loss).__name__ else "row"} in '
                f'the training set; their means are 0 (no direction '
                f'target: the ND term of such rows has no gradient).')
        means = sums[name] / counts[name].clamp_min(1)[:, None]
        results[name] = (means.float(), counts[name].long())
    return results


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


def one_pass_dataloader(runner) -> DataLoader:
    """The runner's training set once, in order, split over the ranks:
    its dataset (training pipeline), batch size, workers and collate
    function with a :class:`DefaultSampler` without shuffling or padding.

    The training dataloader itself does not serve: iteration-based
    configs (mmseg's) sample it with an ``InfiniteSampler``, whose pass
    never ends, and drawing from it would shift the batches that training
    then sees.
    """
    loader = runner.train_dataloader
    # mmdet's configs batch with a batch sampler (aspect-ratio groups)
    batch_size = loader.batch_size or loader.batch_sampler.batch_size
    return DataLoader(
        loader.dataset, batch_size=batch_size,
        sampler=DefaultSampler(loader.dataset, shuffle=False,
                               round_up=False),
        num_workers=loader.num_workers, collate_fn=loader.collate_fn)


def class_means_for_runner(runner, loss_names=None,
                           path: Optional[str] = None,
                           progress: bool = True) -> List[str]:
    """Compute (when missing), check and install the class means of the
    ND losses ``loss_names`` (a name, a list, or None for every ND loss) of
    ``runner.model``; returns the class names.

    The embeddings are those each loss receives as ``t_feature``, with the
    labels it receives (its recorders and connectors in
    ``loss_forward_mappings``). Files that are missing are computed in one
    pass over the training set; existing ones are checked against the run.
    ``path`` overrides the file of a single loss.
    """
    model = unwrap_model(runner.model)
    names = nd_loss_names(model, loss_names)
    if path is not None and len(names) != 1:
        raise ValueError(f'one output path for {len(names)} ND losses '
                         f'{names}: name one loss')
    paths = {}
    for name in names:
        paths[name] = path or model.distill_losses[name].class_means_path
        if not paths[name]:
            raise ValueError(f'{name} has no class_means path to write to.')
    dataloader = one_pass_dataloader(runner)
    classes = list(dataloader.dataset.metainfo['classes'])
    teacher_hash = teacher_checkpoint_hash(model.teacher_ckpt)
    with preserved_rng_state():
        missing = [n for n in names if not osp.exists(paths[n])]
        dims = {}
        if missing:
            runner.logger.info(
                f'Computing the teacher class means of {missing} '
                f'({len(dataloader)} batches).')
            computed = extract_class_means(model, dataloader, missing,
                                           len(classes), progress)
            for name, (means, counts) in computed.items():
                if dist.get_rank() == 0:
                    save_class_means(paths[name], means, counts, classes,
                                     teacher_hash)
                dims[name] = int(means.shape[1])
            dist.barrier()
        present = [n for n in names if n not in missing]
        if present:  # files from elsewhere: check the teacher's feature size
            dims.update(_teacher_embedding_dims(model, dataloader, present))
    for name in names:
        model.distill_losses[name].set_class_means(
            load_class_means(paths[name], classes, dims[name], teacher_hash))
    return classes


@torch.no_grad()
def _teacher_embedding_dims(distiller, dataloader,
                            loss_names: Sequence[str]) -> Dict[str, int]:
    """Size of the teacher embedding each loss receives (one batch)."""
    with eval_mode(distiller):
        data = distiller.data_preprocessor(next(iter(dataloader)), False)
        inputs = nd_inputs(distiller, data, loss_names)
    return {name: int(feats.shape[1])
            for name, (feats, _) in inputs.items()}

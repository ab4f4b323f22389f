"""Shared helpers of the tests: generated data, small real models, local
checkpoints, short runs (the scenes demo). Nothing here downloads
anything."""
import contextlib
import dataclasses
import json
import os
import os.path as osp
import struct
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmfeatdistill.testing import (  # noqa: F401 (re-exported for tests)
    cls_batch, det_batch, save_model_checkpoint, save_teacher_with_heads,
    save_trained_like_teacher, seg_batch)
from mmfeatdistill.tools import demo
from mmfeatdistill.tools.experiments import EXPERIMENTS
from mmfeatdistill.tools.prepare_fashion_mnist import write_heldout

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs')


def config_path(rel: str) -> str:
    return osp.join(CONFIGS, rel)


def _write_idx(path: str, array: np.ndarray) -> None:
    """Write ``array`` (uint8) in the IDX format that MNIST datasets read."""
    dims = array.shape
    with open(path, 'wb') as f:
        f.write(struct.pack('>HBB', 0, 0x08, len(dims)))
        f.write(struct.pack('>' + 'I' * len(dims), *dims))
        f.write(array.astype(np.uint8).tobytes())


def make_fake_fashion_mnist(root: str, num_train: int = 64, num_test: int = 32,
                            seed: int = 0,
                            mirror_symmetric: bool = False) -> str:
    """Write a learnable Fashion-MNIST look-alike (same files and format).

    Class ``c`` images are noise plus a bright horizontal band at row
    ``2 * c + 4``, so a model can tell the classes apart. The second half
    of the training images is written again as the validation split
    (``heldout/``, as ``tools/prepare_fashion_mnist.py`` does with images
    55000-59999). With
    ``mirror_symmetric`` the images equal their horizontal flip, so a
    ``RandomFlip`` in the pipeline does not change them.
    """
    os.makedirs(root, exist_ok=True)
    rng = np.random.default_rng(seed)
    for prefix, num in (('train', num_train), ('t10k', num_test)):
        labels = np.arange(num) % 10
        images = rng.integers(0, 60, size=(num, 28, 28))
        for i, label in enumerate(labels):
            images[i, 2 * label + 4:2 * label + 7, 4:24] = 230
        if mirror_symmetric:
            images[:, :, 14:] = images[:, :, :14][:, :, ::-1]
        _write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), images)
        _write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), labels)
    # the validation split's files (the configs' val loaders read them)
    write_heldout(root, start=num_train // 2)
    return root


def fake_data_and_teacher(root, config: str, num_test: int = 8,
                          model: str = 'teacher') -> Tuple[str, str]:
    """Fake Fashion-MNIST (16 training images, ``num_test`` test images)
    in ``root/data`` and a randomly initialised checkpoint
    ``root/teacher.pth`` of ``config``'s ``model.<model>``; returns both
    paths."""
    data_root = make_fake_fashion_mnist(osp.join(str(root), 'data'), 16,
                                        num_test)
    ckpt = osp.join(str(root), 'teacher.pth')
    save_model_checkpoint(Config.fromfile(config).model[model], ckpt)
    return data_root, ckpt


def save_distill_teacher(path: str, cfg: Config, out_dir) -> str:
    """Save a trained-looking teacher of the distillation config ``path``
    (``cfg``, as loaded) as ``out_dir/teacher.pth`` and, for a config with
    a ``teacher_heads_config`` (TOFD), that teacher with untrained heads as
    ``out_dir/teacher_heads.pth``; returns the checkpoint that serves as
    ``model.teacher_ckpt``."""
    ckpt = osp.join(str(out_dir), 'teacher.pth')
    save_trained_like_teacher(cfg.model.teacher, ckpt)
    if 'teacher_heads_config' in cfg:
        ckpt = save_teacher_with_heads(
            osp.join(osp.dirname(path), cfg.teacher_heads_config), ckpt,
            osp.join(str(out_dir), 'teacher_heads.pth'))
    return ckpt


@contextlib.contextmanager
def main_command_threads() -> Iterator[None]:
    """The stages' processes at one torch thread each, as the main command
    (``tools/run_demo.sh``) runs them with ``--jobs``: two such stages on 2
    cores take about half the time one at a time does, while two
    2-thread stages fight over the cores."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('OMP_NUM_THREADS', '1')
        patch.setenv('MKL_NUM_THREADS', '1')
        yield


def run_scenes_demo(tmp_path, task: str,
                    scenes: Dict[str, int]) -> Tuple[object, list, str, str]:
    """``tools/demo.py --task TASK`` on a handful of scenes: the table's own
    data step writes ``scenes`` (split -> number of scenes) from fake
    Fashion-MNIST files (60 training images: train scenes draw from 0-39,
    val scenes from the held-out 40-59; 20 test images), then every stage
    of the ``TASK`` experiment trains one epoch with batch 4, two stages at
    a time at one thread each, as the main command runs them. Checks that
    the data step wrote ``scenes`` and that there is a result per stage;
    returns the table's experiment, the demo's results, its work dir and
    the scenes' data root."""
    fmnist = make_fake_fashion_mnist(str(tmp_path / 'fmnist'), 60, 20)
    data_root = str(tmp_path / 'scenes')
    work = str(tmp_path / f'demo_{task}')
    table = EXPERIMENTS[task]
    small = [f'--num-{split}={n}' for split, n in scenes.items()]
    experiment = dataclasses.replace(
        table, prepare=table.prepare +
        (f'--fmnist-root={fmnist}', '--val-start=40', '--no-progress', *small))
    with main_command_threads():
        results = demo.main([
            '--task', task, '--work-dir', work, '--data-root', data_root,
            '--epochs', '1', '--teacher-epochs', '1', '--train-subset', '0',
            '--teacher-train-subset', '0', '--batch-size', '4', '--workers',
            '0', '--log-interval', '1', '--quiet', '--jobs', '2'
        ], experiment=experiment)
    with open(osp.join(data_root, 'meta.json')) as f:
        counts = json.load(f)['counts']
    written = {s: counts[s]['scenes'] for s in scenes}
    assert written == scenes, written
    names = [r['name'] for r in results]
    assert names == [s.name for s in table.stages], names
    return table, results, work, data_root


def assert_losses_logged(table, results, task_losses) -> None:
    """Each stage of ``table`` logged its training losses: the model's own
    ``task_losses`` and, for the distilled students, every loss of its
    config."""
    for stage, result in zip(table.stages, results):
        logged = {k for x in result['records'] for k in x}
        assert set(task_losses) <= logged, (stage.name, sorted(logged))
        if stage.kind in ('teacher', 'baseline'):
            continue
        losses = Config.fromfile(osp.join(demo.REPO,
                                          stage.config)).model.distill_losses
        assert losses and set(losses) <= logged, (stage.name, sorted(logged))


def fast_runner_cfg(cfg: Config, work_dir: str, data_root: str,
                    max_iters: int = 2, batch_size: int = 8) -> Config:
    """Shrink a Fashion-MNIST config for a test: generated data, no worker
    processes, ``max_iters`` iterations, validation at the end."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[key]
        loader.dataset.data_root = data_root
        loader.num_workers = 0
        loader.persistent_workers = False
        loader.batch_size = batch_size
    cfg.train_cfg = dict(by_epoch=False, max_iters=max_iters,
                         val_interval=max_iters)
    short_run(cfg, work_dir, max_iters)
    return cfg


def short_run(cfg: Config, work_dir: str, max_iters: int) -> None:
    """What a test run of ``max_iters`` iterations changes besides its data
    and loop: no scheduler, a log line per iteration, one checkpoint at the
    end, ``work_dir`` and a visualizer of its own."""
    cfg.param_scheduler = []
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=max_iters, by_epoch=False)
    cfg.log_processor = dict(by_epoch=False, window_size=1)
    cfg.work_dir = work_dir
    own_visualizer(cfg, work_dir)


def own_visualizer(cfg: Config, work_dir: str) -> None:
    """Name ``cfg``'s visualizer after ``work_dir``. Visualizers are global
    per name (MMEngine's ``ManagerMixin``): mmdet's and mmseg's configs name
    theirs ``'visualizer'``, and a config without a file name gets its
    runner's timestamp, so a second runner in one test session would reuse
    the first one's visualizer, and its save folder, which pytest has
    deleted by then (``tmp_path_retention_policy = failed``)."""
    if cfg.get('visualizer') is not None:
        cfg.visualizer.name = f'visualizer:{osp.abspath(work_dir)}'


def state_dict_copy(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def assert_state_equal(a: dict, b: dict,
                       keys: Optional[List[str]] = None) -> None:
    assert a.keys() == b.keys()
    for k in keys or a:
        assert torch.equal(a[k], b[k]), f'{k} changed'

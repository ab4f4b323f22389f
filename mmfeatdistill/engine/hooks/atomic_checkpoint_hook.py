"""MMEngine's CheckpointHook, without ever losing the last good checkpoint."""
import os.path as osp
from pathlib import Path
from typing import Dict, Optional, Union

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend, register_backend
from mmengine.hooks import CheckpointHook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils.checkpoint import (atomic_write_bytes,
                                            atomic_write_text,
                                            remove_partial_files)

#: Name of the file backend that writes atomically.
ATOMIC_BACKEND = 'mmfeatdistill_atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose writes are atomic (temporary file
    in the same folder, ``fsync``, ``os.replace``): a file is either its old
    complete content or its new one, also when the process is killed while
    writing. ``Runner.save_checkpoint`` writes through the checkpoint hook's
    backend (``backend_args``), so regular and best checkpoints both are.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


def _is_local(path: Optional[Union[str, Path]]) -> bool:
    return path is None or '://' not in str(path)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` (same arguments) that never
    leaves a run without a complete checkpoint to resume from.

    MMEngine 0.10.7 deletes the checkpoint that ``max_keep_ckpts`` drops
    *before* writing the new one, writes the new one in place and then
    ``last_checkpoint``: a kill while writing leaves a truncated file and,
    with ``max_keep_ckpts=1``, nothing to resume from. Here:

    * checkpoints (regular and best) are written atomically (temporary file
      ``.<name>.<id>.partial`` in the same folder, fsync, rename), through
      :class:`AtomicLocalBackend`;
    * ``last_checkpoint`` is written atomically after the checkpoint is
      complete, so it only ever names a complete file;
    * the checkpoint dropped by ``max_keep_ckpts`` is deleted only then;
    * with ``save_best``, the previous best checkpoint is deleted only once
      the new best one is complete (MMEngine deletes it first).

    Temporary files left by a killed run are deleted before training, and
    so is the checkpoint that ``max_keep_ckpts`` dropped when the run was
    killed after saving its successor but before deleting it (each
    checkpoint names the one its save drops, ``dropped_ckpt`` in its
    message hub). With
    ``backend_args`` or ``file_client_args`` (remote storage) it behaves as
    MMEngine's hook. ``tools/train.py`` puts it in place of
    ``default_hooks.checkpoint`` when that is MMEngine's ``CheckpointHook``.

    Args:
        **kwargs: Those of :class:`mmengine.hooks.CheckpointHook`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._atomic = False

    def before_train(self, runner) -> None:
        out_dir = self.out_dir if self.out_dir is not None \
            else runner.work_dir
        if self.backend_args is None and self.file_client_args is None \
                and _is_local(out_dir):
            self.backend_args = dict(backend=ATOMIC_BACKEND)
        super().before_train(runner)
        self._atomic = isinstance(self.file_backend, AtomicLocalBackend)
        if self._atomic and is_main_process():
            for folder in {str(self.out_dir), runner.work_dir}:
                for path in remove_partial_files(folder):
                    runner.logger.warning(
                        f'Deleted {path}, the unfinished write of a killed '
                        f'run.')
            self._remove_dropped(runner)

    def _remove_dropped(self, runner) -> None:
        """After a resume: delete the checkpoint that the resumed one's save
        dropped (``max_keep_ckpts``), when a kill left it behind."""
        dropped = runner.message_hub.get_info('dropped_ckpt')
        if not dropped or dropped in {
                self.filename_tmpl.format(k)
                for k in self.keep_ckpt_ids
        }:
            return
        path = self.file_backend.join_path(self.out_dir, dropped)
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
            runner.logger.warning(
                f'Deleted {path}: max_keep_ckpts dropped it, and the run '
                f'that saved its successor was killed before deleting it.')

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        if not self._atomic:
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = None
        if self.max_keep_ckpts > 0 and not (len(self.keep_ckpt_ids) > 0 and
                                            self.keep_ckpt_ids[-1] == step):
            # the bookkeeping as MMEngine's (the checkpoint's message hub
            # lists what will be kept), the deletion after the save
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))

        # the checkpoint names the one it drops: a resume after a kill
        # before the deletion below deletes it (before_train)
        runner.message_hub.update_info(
            'dropped_ckpt', None if outdated is None or outdated == step else
            self.filename_tmpl.format(outdated))
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(self.out_dir, ckpt_filename,
                               self.file_client_args,
                               save_optimizer=self.save_optimizer,
                               save_param_scheduler=self.save_param_scheduler,
                               meta=meta, by_epoch=self.by_epoch,
                               backend_args=self.backend_args, **self.args)
        if not is_main_process():
            return
        atomic_write_text(self.last_ckpt,
                          osp.join(runner.work_dir, 'last_checkpoint'))
        if outdated is not None and outdated != step:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(outdated))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)

    def _best_paths(self) -> Dict[str, Optional[str]]:
        """Key indicator -> path of its best checkpoint (None: none yet)."""
        if len(self.key_indicators) == 1:
            return {self.key_indicators[0]: self.best_ckpt_path}
        return dict(self.best_ckpt_path_dict)

    def _set_best_paths(self, paths: Dict[str, Optional[str]]) -> None:
        if len(self.key_indicators) == 1:
            self.best_ckpt_path = next(iter(paths.values()))
        else:
            self.best_ckpt_path_dict.update(paths)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self._atomic or not self.save_best:
            return super()._save_best_checkpoint(runner, metrics)
        # MMEngine removes the previous best before it writes the new one:
        # hide it from MMEngine's hook and remove it once the new one is
        # complete (a kill in between leaves the old one)
        previous = self._best_paths()
        self._set_best_paths(dict.fromkeys(previous))
        try:
            super()._save_best_checkpoint(runner, metrics)
        except BaseException:
            self._set_best_paths(previous)
            raise
        current = self._best_paths()
        kept = {
            k: p if current.get(k) is None else current[k]
            for k, p in previous.items()
        }
        self._set_best_paths(kept)
        if not is_main_process():
            return
        for key, old in previous.items():
            if old is None or kept[key] == old or old in kept.values():
                continue
            if self.file_backend.isfile(old):
                self.file_backend.remove(old)
            elif self.file_backend.isdir(old):
                self.file_backend.rmtree(old)
            else:
                continue
            runner.logger.info(
                f'The previous best checkpoint {old} is removed (the new '
                f'best one is complete).')

"""ND's class means before training: computed when missing, checked
against the run, installed in the losses."""
import os.path as osp
from typing import Dict, Optional, Sequence, Union

from mmengine import dist
from mmengine.hooks import Hook

from mmfeatdistill.registry import HOOKS
from mmfeatdistill.utils import unwrap_model


@HOOKS.register_module()
class ClassMeansHook(Hook):
    """Before training, give every ND loss of the distiller its class means.

    For each ND loss (:class:`NDLoss` and its dense variants, found by type):
    the file named by its ``class_means`` (default
    ``work_dir/class_means/<loss name>.pth``) is computed when missing, in
    one ordered pass over the training set with its training pipeline,
    the distiller in eval mode and the global RNG state restored afterwards
    (so the run trains as it would without the pass); an existing file is
    checked against the run (classes, teacher embedding size, teacher
    weights) and refused when it does not fit; a file that cannot be read
    (cut short by a kill, empty) is named in a warning and recomputed. The
    means are then installed in the loss. A loss that already holds means
    (loaded from a checkpoint on resume) is left as it is.
    ``tools/compute_class_means.py`` runs this hook's :meth:`install`.

    Args:
        loss_names (str | list[str], optional): Restrict to these ND
            losses. Defaults to every ND loss of the model.
        progress (bool): Show a progress bar. Defaults to True.
    """

    priority = 'VERY_HIGH'
    #: It changes what training produces: in the key of cached stages
    #: (:mod:`mmfeatdistill.tools.stage_cache`).
    changes_weights = True

    def __init__(self, loss_names: Optional[Union[str, Sequence[str]]] = None,
                 progress: bool = True) -> None:
        self.loss_names = [loss_names] if isinstance(loss_names, str) else \
            loss_names
        self.progress = progress

    def before_train(self, runner) -> None:
        self.install(runner, skip_loaded=True)

    def nd_losses(self, model) -> dict:
        """``name -> loss`` of the ND losses this hook serves."""
        from mmfeatdistill.models.losses import NDLoss
        found = model.losses_of_type(NDLoss) if hasattr(
            model, 'losses_of_type') else {}
        names = list(found) if self.loss_names is None else list(
            self.loss_names)
        unknown = [n for n in names if n not in found]
        if unknown or not names:
            raise KeyError(
                f'ClassMeansHook: no ND loss {unknown or ""} in the model '
                f'(ND losses: {sorted(found) or "none"}).')
        return {n: found[n] for n in names}

    @staticmethod
    def path_of(runner, name: str, loss) -> str:
        """The class-means file of loss ``name``."""
        return loss.class_means_path or osp.join(runner.work_dir,
                                                 'class_means', f'{name}.pth')

    def install(self, runner, skip_loaded: bool = False,
                paths: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """Compute (when missing or unreadable), check and install the class
        means of the ND losses of ``runner.model``.

        Args:
            runner (Runner): The built Runner.
            skip_loaded (bool): Leave losses that already hold means.
            paths (dict, optional): ``loss name -> file`` overrides.

        Returns:
            dict: ``loss name -> file``.
        """
        from mmfeatdistill.engine.statistics import (eval_mode,
                                                     one_pass_dataloader,
                                                     preserved_rng_state)
        from mmfeatdistill.models.losses.nd_class_means import (
            ClassMeansMismatch, check_class_means, extract_class_means,
            read_class_means, save_class_means, teacher_embedding_dims)
        model = unwrap_model(runner.model)
        losses = self.nd_losses(model)
        if skip_loaded:
            losses = {
                n: loss
                for n, loss in losses.items() if not loss.has_class_means
            }
        files = {
            n: (paths or {}).get(n) or self.path_of(runner, n, loss)
            for n, loss in losses.items()
        }
        if not losses:
            return files
        fingerprint = model.teacher_fingerprint()
        readable: Dict[str, dict] = {}
        for name, path in files.items():
            if osp.exists(path):
                try:
                    readable[name] = read_class_means(path)
                except OSError as err:
                    runner.logger.warning(f'{err} Recomputing it.')
        missing = [n for n in losses if n not in readable]
        means = {}
        # nothing of the pass (its sampler's seed, the pipeline's random
        # transforms) may change the global RNG: a resumed run, which skips
        # the pass, must draw what the uninterrupted one draws
        with preserved_rng_state(), eval_mode(model):
            dataloader = one_pass_dataloader(runner)
            classes = list(dataloader.dataset.metainfo['classes'])
            if missing:
                runner.logger.info(
                    f'Computing the teacher class means of {missing} '
                    f'({len(dataloader)} batches).')
                computed = extract_class_means(model, dataloader, missing,
                                               len(classes), self.progress)
                for name, (value, counts) in computed.items():
                    if dist.get_rank() == 0:
                        save_class_means(files[name], value, counts, classes,
                                         fingerprint)
                    means[name] = value
                dist.barrier()
            if readable:
                dims = teacher_embedding_dims(model, next(iter(dataloader)),
                                              list(readable))
                for name, data in readable.items():
                    try:
                        means[name] = check_class_means(
                            files[name], data, classes, dims[name],
                            fingerprint)
                    except ClassMeansMismatch as err:
                        raise ClassMeansMismatch(f'{name}: {err}') from None
        for name, loss in losses.items():
            loss.set_class_means(means[name])
            runner.logger.info(
                f'{name}: class means of {len(classes)} classes, size '
                f'{means[name].shape[1]}: {files[name]}')
        return files

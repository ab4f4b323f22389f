"""Train a distillation config (or any OpenMMLab config) with MMEngine's
Runner. Run through ``tools/train.py``, ``tools/dist_train.sh`` or
``mim train mmfeatdistill CONFIG``.

torch, the Runner and our utilities are imported where they are used:
``mim train`` runs ``tools/train.py -h`` before every training, which then
takes a fraction of a second instead of several.
"""
import argparse
import os
import os.path as osp
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional

from mmengine.config import Config, DictAction

if TYPE_CHECKING:
    from mmengine.runner import Runner

#: ``default_hooks.checkpoint`` types that are MMEngine's plain hook.
PLAIN_CHECKPOINT_HOOKS = ('CheckpointHook', 'mmengine.CheckpointHook')
#: ``train_cfg`` types that are MMEngine's epoch-based loop.
EPOCH_LOOPS = ('EpochBasedTrainLoop', 'mmengine.EpochBasedTrainLoop')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by train and test: work dir, cfg options, launcher."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config entries, e.g. model.teacher_ckpt=/path.pth')
    parser.add_argument('--launcher',
                        choices=['none', 'pytorch', 'slurm',
                                 'mpi'], default='none', help='job launcher')
    parser.add_argument(
        '--trust-checkpoint', action='store_true',
        help='unpickle checkpoints fully (weights_only=False): only for files '
        'you trust; by default only the types OpenMMLab checkpoints hold are '
        'loaded (same as `trust_checkpoints = True` in the config)')
    # torch >= 2 passes --local-rank, older launchers --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or from the latest one in '
        'the work dir when no path is given')
    parser.add_argument(
        '--amp', action='store_true',
        help='mixed precision (AmpOptimWrapper; needs a GPU with MMEngine)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by the actual batch size (auto_scale_lr config)')
    parser.add_argument(
        '--test', action='store_true',
        help='after training, evaluate the final model with the config\'s '
        'test loop (test split) and write the metrics to '
        'WORK_DIR/test_metrics.json')
    add_common_args(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """Read the config and apply --cfg-options, --work-dir and --launcher."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    setup_cpu_distributed(cfg)
    return cfg


def setup_cpu_distributed(cfg: Config) -> None:
    """Make ``--launcher pytorch`` and ``--launcher slurm`` work without a
    GPU (gloo backend).

    MMEngine 0.10.7's ``init_dist`` always calls ``torch.cuda.set_device`` and
    its DDP wrapper passes ``device_ids=[LOCAL_RANK]``, both of which fail on
    CPU. We initialise the gloo process group ourselves (the Runner then
    skips its own initialisation) and wrap without ``device_ids``. For
    Slurm, :func:`slurm_dist_env` first turns srun's task variables into
    torch's (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...).
    ``find_unused_parameters`` is on, since connectors or heads may not get a
    gradient on every step.
    """
    import torch
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    if cfg.launcher == 'slurm':
        os.environ.update(slurm_dist_env(os.environ))
    elif cfg.launcher != 'pytorch':
        raise RuntimeError(
            f'Launcher {cfg.launcher!r} without a GPU is not supported; use '
            f'tools/dist_train.sh (torch launcher) or tools/slurm_train.sh '
            f'(Slurm), both with the gloo backend on CPU.')
    import torch.distributed as dist
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('find_unused_parameters', True)
    cfg.model_wrapper_cfg = wrapper


#: ``MASTER_PORT`` of a Slurm run when the environment sets none (MMEngine's)
SLURM_DEFAULT_PORT = 29500


def slurm_dist_env(environ: Mapping[str, str]) -> Dict[str, str]:
    """torch's rendezvous variables of a Slurm task (``srun``), as
    MMEngine's ``_init_dist_slurm`` derives them, for CPU processes.

    ``RANK`` is ``SLURM_PROCID``, ``WORLD_SIZE`` ``SLURM_NTASKS`` and
    ``LOCAL_RANK`` ``SLURM_LOCALID``. ``MASTER_ADDR`` is kept when set,
    otherwise it is the first host of ``SLURM_NODELIST`` (``scontrol show
    hostnames``); ``MASTER_PORT`` is kept when set, otherwise
    :data:`SLURM_DEFAULT_PORT`.

    Args:
        environ (Mapping[str, str]): The task's environment.

    Returns:
        dict: The variables to set (strings).

    Raises:
        RuntimeError: a Slurm variable is missing (not started by srun), or
            ``scontrol`` cannot name the first node.
    """
    missing = [
        key for key in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_LOCALID')
        if key not in environ
    ]
    if 'MASTER_ADDR' not in environ and 'SLURM_NODELIST' not in environ:
        missing.append('SLURM_NODELIST (or MASTER_ADDR)')
    if missing:
        raise RuntimeError(
            f'--launcher slurm: {", ".join(missing)} not set; start the '
            f'processes with srun (tools/slurm_train.sh) or use '
            f'tools/dist_train.sh.')
    env = dict(RANK=str(int(environ['SLURM_PROCID'])),
               WORLD_SIZE=str(int(environ['SLURM_NTASKS'])),
               LOCAL_RANK=str(int(environ['SLURM_LOCALID'])),
               MASTER_PORT=environ.get('MASTER_PORT', str(SLURM_DEFAULT_PORT)))
    if 'MASTER_ADDR' in environ:
        env['MASTER_ADDR'] = environ['MASTER_ADDR']
    else:
        env['MASTER_ADDR'] = first_slurm_host(environ['SLURM_NODELIST'])
    return env


def first_slurm_host(node_list: str) -> str:
    """The first host name of a Slurm node list (``node[01-04]`` ->
    ``node01``), from ``scontrol show hostnames``."""
    import subprocess
    try:
        out = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                             capture_output=True, text=True, check=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise RuntimeError(
            f'--launcher slurm: `scontrol show hostnames {node_list}` '
            f'failed ({error}); set MASTER_ADDR to the first node\'s '
            f'address.') from error
    hosts = out.split()
    if not hosts:
        raise RuntimeError(f'--launcher slurm: `scontrol show hostnames '
                           f'{node_list}` named no host; set MASTER_ADDR.')
    return hosts[0]


def apply_train_args(cfg: Config, args: argparse.Namespace) -> None:
    """Apply --amp, --resume and --auto-scale-lr to the config.

    Args:
        cfg (Config): The config, changed in place.
        args (argparse.Namespace): The parsed arguments of
            :func:`parse_args`.

    Raises:
        RuntimeError: ``--amp`` without a GPU (MMEngine's
            ``AmpOptimWrapper`` would stop on a bare assertion).
    """
    if args.amp:
        from mmengine.device import (is_cuda_available, is_mlu_available,
                                     is_npu_available)
        if not (is_cuda_available() or is_npu_available()
                or is_mlu_available()):
            raise RuntimeError(
                '--amp needs a GPU: mixed precision (MMEngine\'s '
                'AmpOptimWrapper) runs on CUDA (or NPU/MLU) devices only, '
                'and this machine has none. Train without --amp on CPU.')
        optim_wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'--amp needs OptimWrapper, got {optim_wrapper}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        # last_checkpoint's file, or the newest loadable one when that is
        # missing or truncated (None: nothing saved yet, a new run)
        from mmfeatdistill.utils import find_resumable_checkpoint
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise KeyError('--auto-scale-lr needs `auto_scale_lr = dict('
                           'base_batch_size=...)` in the config.')
        cfg.auto_scale_lr.enable = True


def _add_hook(cfg: Config, name: str) -> None:
    """Add our hook ``name`` to ``custom_hooks`` unless the config has it
    already, in ``custom_hooks`` or ``default_hooks`` (the runtime base
    puts it there)."""
    names = (name, f'mmfeatdistill.{name}')
    default = (cfg.get('default_hooks') or {}).values()
    hooks = list(cfg.get('custom_hooks') or [])
    if any(
            isinstance(h, dict) and h.get('type') in names
            for h in list(default) + hooks):
        return
    cfg.custom_hooks = hooks + [dict(type=f'mmfeatdistill.{name}')]


def add_rng_state_hook(cfg: Config) -> None:
    """Save/restore the RNG states in checkpoints (exact resume)."""
    _add_hook(cfg, 'RNGStateHook')


def add_accumulation_info_hook(cfg: Config) -> None:
    """Give the distiller's iteration-based schedules the optimizer
    wrapper's ``accumulative_counts``, so that they count optimizer steps
    (:class:`~mmfeatdistill.engine.hooks.AccumulationInfoHook`)."""
    _add_hook(cfg, 'AccumulationInfoHook')


def add_loss_balance_hook(cfg: Config) -> None:
    """Log each distillation loss's share of the total loss over the first
    iterations and warn about a weight too small or too large to matter
    (:class:`~mmfeatdistill.engine.hooks.LossBalanceHook`), unless the
    config has the hook already (with its own arguments)."""
    _add_hook(cfg, 'LossBalanceHook')


def use_exact_resume_loop(cfg: Config) -> None:
    """Train an epoch-based config with
    :class:`~mmfeatdistill.engine.runner.ExactResumeEpochBasedTrainLoop`
    (same arguments): a resume from a checkpoint saved mid-epoch continues
    with the batches the epoch had not trained on, and every sample's
    augmentation is seeded by (seed, epoch, sample). Iteration-based and
    custom loops are left alone."""
    train_cfg = cfg.get('train_cfg')
    if not isinstance(train_cfg, dict):
        return
    train_cfg = dict(train_cfg)
    if 'type' in train_cfg and 'by_epoch' in train_cfg:
        raise ValueError(
            f'train_cfg has both type={train_cfg["type"]!r} (from a schedule '
            f'base, e.g. configs/_base_/schedules/) and by_epoch='
            f'{train_cfg["by_epoch"]!r}; MMEngine builds a loop from one of '
            f'them. To train by iterations, replace the base\'s loop: '
            f"train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', "
            f'max_iters=..., val_interval=...); to change the length, set '
            f'only max_epochs.')
    if train_cfg.get('type') in EPOCH_LOOPS:
        train_cfg['type'] = 'mmfeatdistill.ExactResumeEpochBasedTrainLoop'
    elif 'type' not in train_cfg and train_cfg.get('by_epoch', True):
        # MMEngine's default: by_epoch=True, EpochBasedTrainLoop
        train_cfg.pop('by_epoch', None)
        train_cfg['type'] = 'mmfeatdistill.ExactResumeEpochBasedTrainLoop'
    else:
        return
    cfg.train_cfg = train_cfg


def use_atomic_checkpoint_hook(cfg: Config) -> None:
    """Put ``AtomicCheckpointHook`` (same arguments) in place of MMEngine's
    plain ``CheckpointHook`` in ``default_hooks.checkpoint``, or where the
    Runner would add its default one; a disabled (None) or custom hook is
    left alone."""
    from mmengine.hooks import CheckpointHook
    hooks = cfg.get('default_hooks')
    hooks = dict(hooks) if hooks is not None else {}
    if 'checkpoint' not in hooks:
        # the Runner's default: CheckpointHook(interval=1)
        hooks['checkpoint'] = dict(type='mmfeatdistill.AtomicCheckpointHook',
                                   interval=1)
    elif isinstance(hooks['checkpoint'], dict) and \
            hooks['checkpoint'].get('type') in PLAIN_CHECKPOINT_HOOKS + (
                CheckpointHook, ):
        hooks['checkpoint'] = dict(hooks['checkpoint'],
                                   type='mmfeatdistill.AtomicCheckpointHook')
    else:
        return
    cfg.default_hooks = hooks


def checkpoints_trusted_by(cfg: Config, args: argparse.Namespace) -> bool:
    """The user's opt-in to full unpickling: ``--trust-checkpoint`` or the
    config's ``trust_checkpoints = True``."""
    trusted = cfg.get('trust_checkpoints', False)
    if not isinstance(trusted, bool):
        raise TypeError(f'trust_checkpoints must be True or False, got '
                        f'{trusted!r}')
    return bool(getattr(args, 'trust_checkpoint', False)) or trusted


def add_runtime_defaults(cfg: Config) -> None:
    """Add what a distillation run needs where the config does not
    declare it: weights-only loading for the run, the RNG-state, loss
    balance and accumulation hooks, the exact-resume loop and atomic
    checkpoints. Our runtime bases (``configs/_base_/distill_runtime.py``,
    the pair bases' ``distill_runtime()``) declare all of it, so for the
    shipped configs this changes nothing (tested); it serves configs of
    one's own built on other bases.

    Args:
        cfg (Config): The config, changed in place.
    """
    _add_hook(cfg, 'SafeLoadingHook')
    add_rng_state_hook(cfg)
    add_loss_balance_hook(cfg)
    add_accumulation_info_hook(cfg)
    use_exact_resume_loop(cfg)
    use_atomic_checkpoint_hook(cfg)


def build_runner(cfg: Config, args: argparse.Namespace) -> 'Runner':
    """Apply the training arguments and, where the config does not declare
    them (the runtime base ``configs/_base_/distill_runtime.py`` does), our
    hooks and loop; then build the Runner (``runner_type`` when the config
    names one), which loads the teacher. Call inside
    :func:`trust_checkpoints` with :func:`checkpoints_trusted_by`."""
    from mmengine.runner import Runner
    apply_train_args(cfg, args)
    add_runtime_defaults(cfg)
    if 'runner_type' in cfg:  # as mmpretrain's tools/train.py
        from mmfeatdistill.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main(argv: Optional[List[str]] = None) -> 'Runner':
    """Build the Runner from the config and train. Returns the Runner."""
    args = parse_args(argv)
    from mmfeatdistill.utils import trust_checkpoints
    cfg = load_config(args)
    # the teacher (built with the Runner), load_from and --resume load
    # weights-only unless the user trusts the files
    with trust_checkpoints(checkpoints_trusted_by(cfg, args)):
        runner = build_runner(cfg, args)
        if cfg.get('resume') and cfg.get('load_from'):
            check_resume_fits(runner, cfg.load_from)
        runner.train()
        if args.test:
            write_test_metrics(runner, runner.test())
    return runner


def check_resume_fits(runner: 'Runner', path: str) -> None:
    """Refuse to resume from a checkpoint of another config (other model
    or widths): MMEngine would load what fits, report the rest in the log
    and fail later in the optimizer, or train a half-loaded model. Not
    done for a ``FlexibleRunner`` (its model is built in ``train()``).

    Args:
        runner (Runner): The built Runner (its model is the one resumed).
        path (str): The checkpoint to resume from.

    Raises:
        ValueError: the checkpoint's weights do not fit the model (the
            message lists the differences and the two fixes), or it is an
            exported student, which holds no training state.
    """
    from torch import nn
    if not isinstance(runner.model, nn.Module):
        # MMEngine's FlexibleRunner builds its model in train(): the
        # strategy's loading reports what does not fit
        return
    from mmfeatdistill.utils import extract_state_dict, unwrap_model
    from mmfeatdistill.utils.checkpoint import load_checkpoint_file
    state = extract_state_dict(load_checkpoint_file(path, 'cpu', mmap=True))
    own = unwrap_model(runner.model).state_dict()
    student = {k[len('student.'):] for k in own if k.startswith('student.')}
    as_student = set(state) & student
    if as_student and 2 * len(as_student) >= len(state) and not any(
            k.startswith('student.') for k in state):
        raise ValueError(
            f'--resume: {path} is an exported student (a plain model '
            f'checkpoint: {len(as_student)} of its {len(state)} tensors are '
            f'the student\'s weights without the "student." prefix). It '
            f'holds no training state (optimizer, iteration, teacher, '
            f'connectors) to resume from. To initialise the student from '
            f'it, start a new run with load_from={path} (--cfg-options '
            f'load_from={path}) and without --resume.')
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    # buffers that take their shape when loaded (ND's class means) are
    # empty before: not a mismatch
    shapes = [
        f'{k}: checkpoint {tuple(state[k].shape)}, model '
        f'{tuple(own[k].shape)}' for k in sorted(set(own) & set(state))
        if hasattr(state[k], 'shape') and own[k].numel()
        and state[k].shape != own[k].shape
    ]
    if not (missing or unexpected or shapes):
        return
    problems = []
    for title, items in (('missing', missing), ('unexpected', unexpected),
                         ('other shapes', shapes)):
        if items:
            more = f' and {len(items) - 5} more' if len(items) > 5 else ''
            problems.append(f'{title} ({len(items)}): '
                            f'{", ".join(items[:5])}{more}')
    raise ValueError(
        f'--resume: {path} was written by another config: its weights do '
        f'not fit this model ({"; ".join(problems)}). Resume with the '
        f'config that wrote it (MMEngine keeps a copy in its work dir), or '
        f'start a new run from its weights with load_from={path} and no '
        f'--resume.')


def write_test_metrics(runner: 'Runner', metrics: dict) -> str:
    """Write the test loop's metrics to ``WORK_DIR/test_metrics.json``
    (rank 0); returns the path."""
    import json

    from mmengine.dist import is_main_process
    path = osp.join(runner.work_dir, 'test_metrics.json')
    if is_main_process():
        with open(path, 'w') as f:
            # metrics are Python, numpy or torch scalars (mmseg: np.float32)
            json.dump(
                {
                    k: v.item() if hasattr(v, 'item') else v
                    for k, v in metrics.items()
                }, f, indent=1)
    return path


if __name__ == '__main__':
    main()

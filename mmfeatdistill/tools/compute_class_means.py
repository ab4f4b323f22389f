"""Compute ND's class means for a distillation config: the teacher (eval
mode) over the training set with its training pipeline. Writes the file each
ND loss names (default ``WORK_DIR/class_means/<loss>.pth``, or ``--out``);
an existing file is checked against the run."""
import argparse
from typing import List, Optional, Union

from mmengine.runner import Runner

from mmfeatdistill.engine.hooks import ClassMeansHook
from mmfeatdistill.tools.train import (add_common_args, checkpoints_trusted_by,
                                       load_config)
from mmfeatdistill.utils import trust_checkpoints


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='distillation config with an NDLoss')
    parser.add_argument('--loss', nargs='+', default=None,
                        help='ND losses in distill_losses (default: all)')
    parser.add_argument(
        '--out', help='file to write, for a single ND loss '
        "(default: each loss's class_means path)")
    parser.add_argument('--no-progress', action='store_true')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Union[str, List[str]]:
    args = parse_args(argv)
    cfg = load_config(args)
    with trust_checkpoints(checkpoints_trusted_by(cfg, args)):
        runner = Runner.from_cfg(cfg)  # loads the teacher
    hook = ClassMeansHook(loss_names=args.loss, progress=not args.no_progress)
    names = list(hook.nd_losses(runner.model))
    paths = None
    if args.out:
        if len(names) != 1:
            raise SystemExit(f'--out names one file but the config has ND '
                             f'losses {names}; pick one with --loss')
        paths = {names[0]: args.out}
    files = hook.install(runner, paths=paths)
    return files[names[0]] if len(names) == 1 else [files[n] for n in names]


if __name__ == '__main__':
    main()

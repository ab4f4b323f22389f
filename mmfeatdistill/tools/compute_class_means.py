"""Compute ND's class means for a distillation config: the teacher (eval
mode) over the training set with its training pipeline. Writes the file the
config's ND loss names (or ``--out``)."""
import argparse
from typing import List, Optional

from mmengine.runner import Runner

from mmfeatdistill.tools.train import add_common_args, load_config
from mmfeatdistill.utils import class_means_for_runner, unwrap_model
from mmfeatdistill.utils.class_means import nd_loss_names


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='distillation config with an NDLoss')
    parser.add_argument('--loss', nargs='+', default=None,
                        help='ND losses in distill_losses (default: all)')
    parser.add_argument('--out', help='file to write, for a single ND loss '
                        "(default: each loss's class_means path)")
    parser.add_argument('--no-progress', action='store_true')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    cfg = load_config(args)
    runner = Runner.from_cfg(cfg)
    model = unwrap_model(runner.model)
    names = nd_loss_names(model, args.loss)
    if args.out:
        if len(names) != 1:
            raise SystemExit(f'--out names one file but the config has ND '
                             f'losses {names}; pick one with --loss')
        model.distill_losses[names[0]].class_means_path = args.out
    classes = class_means_for_runner(runner, names,
                                     progress=not args.no_progress)
    paths = []
    for name in names:
        loss = model.distill_losses[name]
        runner.logger.info(f'{name}: class means of {len(classes)} classes, '
                           f'size {loss.class_means.shape[1]}: '
                           f'{loss.class_means_path}')
        paths.append(loss.class_means_path)
    return paths[0] if len(paths) == 1 else paths


if __name__ == '__main__':
    main()

"""Compute ND's class means for a distillation config: the teacher (eval
mode) over the training set with its training pipeline. Writes the file the
config's ND loss names (or ``--out``)."""
import argparse
from typing import List, Optional

from mmengine.runner import Runner

from mmfeatdistill.tools.train import add_common_args, load_config
from mmfeatdistill.utils import class_means_for_runner, unwrap_model


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='distillation config with an NDLoss')
    parser.add_argument('--loss', default='loss_nd',
                        help='name of the ND loss in distill_losses')
    parser.add_argument('--out', help='file to write (default: the '
                        "loss's class_means path)")
    parser.add_argument('--no-progress', action='store_true')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    cfg = load_config(args)
    if args.out:
        cfg.model.distill_losses[args.loss].class_means = args.out
    runner = Runner.from_cfg(cfg)
    classes = class_means_for_runner(runner, args.loss,
                                     progress=not args.no_progress)
    model = unwrap_model(runner.model)
    loss = model.distill_losses[args.loss]
    runner.logger.info(f'class means of {len(classes)} classes, size '
                       f'{loss.class_means.shape[1]}: '
                       f'{loss.class_means_path}')
    return loss.class_means_path


if __name__ == '__main__':
    main()

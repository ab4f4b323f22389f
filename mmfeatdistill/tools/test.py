"""Evaluate a checkpoint with the config's test loop (the student's own
evaluator for a distiller)."""
import argparse
from typing import List, Optional

from mmengine.runner import Runner

from mmfeatdistill.utils import trust_checkpoints
from .train import add_common_args, checkpoints_trusted_by, load_config


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    add_common_args(parser)
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    """Run the test loop; returns the metrics."""
    args = parse_args(argv)
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    # weights-only loading unless --trust-checkpoint / trust_checkpoints
    with trust_checkpoints(checkpoints_trusted_by(cfg, args)):
        runner = Runner.from_cfg(cfg)
        return runner.test()


if __name__ == '__main__':
    main()

"""Train TOFD's teacher auxiliary heads (teacher frozen) with a heads config
(``AuxHeadTrainer``) and write the teacher checkpoint with the heads added,
which the TOFD distillation config loads as ``teacher_ckpt``."""
import os.path as osp
from typing import List, Optional

from mmfeatdistill.tools.train import (build_runner, checkpoints_trusted_by,
                                       load_config, parse_args)
from mmfeatdistill.utils import atomic_save, trust_checkpoints, unwrap_model


def main(argv: Optional[List[str]] = None) -> str:
    """Train, then write ``<work_dir>/teacher_with_heads.pth`` (rank 0,
    atomically: a killed run never leaves a truncated file there).
    Returns its path."""
    args = parse_args(argv)
    cfg = load_config(args)
    with trust_checkpoints(checkpoints_trusted_by(cfg, args)):
        runner = build_runner(cfg, args)
        runner.train()
    model = unwrap_model(runner.model)
    out = osp.join(cfg.work_dir, 'teacher_with_heads.pth')
    if runner.rank == 0:
        atomic_save(model.teacher_checkpoint(), out)
        runner.logger.info(f'teacher checkpoint with TOFD heads: {out}')
    return out


if __name__ == '__main__':
    main()

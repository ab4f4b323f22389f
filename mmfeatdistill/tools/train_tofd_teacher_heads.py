"""Train TOFD's teacher auxiliary heads (teacher frozen) with a heads config
(``AuxHeadTrainer``) and write the teacher checkpoint with the heads added,
which the TOFD distillation config loads as ``teacher_ckpt``."""
import os.path as osp
from typing import List, Optional

import torch
from mmengine.runner import Runner

from mmfeatdistill.tools.train import (add_rng_state_hook,
                                       apply_train_args, load_config,
                                       parse_args)
from mmfeatdistill.utils import trusted_checkpoint_loading, unwrap_model


def main(argv: Optional[List[str]] = None) -> str:
    """Train, then write ``<work_dir>/teacher_with_heads.pth`` (rank 0).
    Returns its path."""
    args = parse_args(argv)
    cfg = load_config(args)
    apply_train_args(cfg, args)
    add_rng_state_hook(cfg)
    runner = Runner.from_cfg(cfg)
    with trusted_checkpoint_loading():
        runner.train()
    model = unwrap_model(runner.model)
    out = osp.join(cfg.work_dir, 'teacher_with_heads.pth')
    if runner.rank == 0:
        torch.save(model.teacher_checkpoint(), out)
        runner.logger.info(f'teacher checkpoint with TOFD heads: {out}')
    return out


if __name__ == '__main__':
    main()

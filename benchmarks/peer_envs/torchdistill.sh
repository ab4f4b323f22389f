#!/usr/bin/env bash
# Build torchdistill's environment for benchmarks/peers.py, outside the
# project's .venv (default: /work/peer_envs/torchdistill; PEER_ENVS=DIR moves
# it): Python 3.11, torchdistill 1.1.5 (needs torch >= 2.5.1), with the torch
# and torchvision of the project's .venv (2.13.0 / 0.28.0, the registry's
# builds), so that both frameworks run the same kernels.
#
# The peer environments are not part of the tests or the README's set-up.
set -euo pipefail
ENV_DIR="${PEER_ENVS:-/work/peer_envs}/torchdistill"
PYTHON="${PYTHON:-$(pyenv root 2>/dev/null)/versions/3.11.7/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3.11
TORCH="${TORCH:-torch==2.13.0}"
TORCHVISION="${TORCHVISION:-torchvision==0.28.0}"
CHECK='import torch, torchvision, torchdistill
import torchvision.ops
torchvision.ops.nms
print("torch", torch.__version__, "torchvision", torchvision.__version__,
      "torchdistill", torchdistill.__version__)'
if [ -x "$ENV_DIR/bin/python" ] && "$ENV_DIR/bin/python" -c "$CHECK"; then
  echo "torchdistill environment ready: $ENV_DIR"; exit 0
fi
echo "building $ENV_DIR with $PYTHON ($("$PYTHON" --version))"
"$PYTHON" -m venv "$ENV_DIR"
# --isolated: the machine's local wheel folder holds a CPU torch that the
# registry's torchvision cannot load (docs: stack.md, trap 1)
PIP=("$ENV_DIR/bin/python" -m pip --isolated install)
"${PIP[@]}" -U pip "setuptools<81" wheel
"${PIP[@]}" "$TORCH" "$TORCHVISION"
"${PIP[@]}" torchdistill==1.1.5 psutil
"$ENV_DIR/bin/python" -c "$CHECK"
echo "torchdistill environment ready: $ENV_DIR"

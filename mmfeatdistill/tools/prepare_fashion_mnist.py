"""Put Fashion-MNIST where ``configs/_base_/datasets/fashion_mnist.py``
expects it: the four IDX files, un-gzipped, in ``data/fashion_mnist``.

The source is Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist``, gzipped); the source files are only
read. Without it, mmpretrain's own download is tried.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
from typing import List, Optional

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def prepare(out: str, source: str = DEBIAN_DIR) -> str:
    """Un-gzip the four files from ``source`` into ``out`` (skipped when they
    are there). Returns ``out``."""
    os.makedirs(out, exist_ok=True)
    if all(osp.exists(osp.join(out, f)) for f in FILES):
        return out
    if all(osp.exists(osp.join(source, f + '.gz')) for f in FILES):
        for name in FILES:
            tmp = osp.join(out, name + '.part')
            with gzip.open(osp.join(source, name + '.gz'), 'rb') as src, \
                    open(tmp, 'wb') as dst:
                shutil.copyfileobj(src, dst)
            os.replace(tmp, osp.join(out, name))
        return out
    print(f'{source} not found (Debian package dataset-fashion-mnist); '
          f'trying mmpretrain\'s download into {out}')
    from mmpretrain.datasets import FashionMNIST
    FashionMNIST(data_root=out, download=True)
    return out


def main(argv: Optional[List[str]] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data/fashion_mnist')
    parser.add_argument('--source', default=DEBIAN_DIR)
    args = parser.parse_args(argv)
    out = prepare(args.out, args.source)
    print(f'Fashion-MNIST ready in {out}')
    return out


if __name__ == '__main__':
    main()

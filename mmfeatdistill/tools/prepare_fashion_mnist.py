"""Put Fashion-MNIST where ``configs/_base_/datasets/fashion_mnist.py``
expects it: the four IDX files, un-gzipped, in ``data/fashion_mnist``, and
the validation split (training images 55000-59999, which the configs' train
loaders leave out) as IDX files of their own in
``data/fashion_mnist/heldout`` (read as a training split with
``data_prefix='heldout'``).

The source is Debian's ``dataset-fashion-mnist`` package
(``/usr/share/datasets/fashion-mnist``, gzipped); the source files are only
read. Without it, mmpretrain's own download is tried.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import struct
from typing import List, Optional

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
#: The first training image of the validation split (the configs' train
#: loaders take ``indices=VAL_START``; the scenes' val split draws from the
#: same images).
VAL_START = 55000
#: Folder of the validation split's IDX files, under the data root.
HELDOUT = 'heldout'


def write_heldout(root: str, start: int = VAL_START) -> str:
    """Write the training images and labels from ``start`` on as the
    training IDX files of ``root/heldout``, and empty test files beside
    them (mmpretrain's dataset wants all four); returns that folder."""
    folder = osp.join(root, HELDOUT)
    os.makedirs(folder, exist_ok=True)
    for number, name in enumerate(FILES):
        with open(osp.join(root, name), 'rb') as f:
            header = f.read(4)  # 0, 0, dtype code, number of dimensions
            ndim = header[3]
            dims = list(struct.unpack('>' + 'I' * ndim, f.read(4 * ndim)))
            item = 1
            for d in dims[1:]:
                item *= d
            first = min(start, dims[0]) if number < 2 else dims[0]
            f.seek(4 + 4 * ndim + first * item)
            body = f.read()
        dims[0] -= first
        tmp = osp.join(folder, name + '.part')
        with open(tmp, 'wb') as out:
            out.write(header + struct.pack('>' + 'I' * ndim, *dims) + body)
        os.replace(tmp, osp.join(folder, name))
    return folder


def prepare(out: str, source: str = DEBIAN_DIR) -> str:
    """Un-gzip the four files from ``source`` into ``out`` (skipped when they
    are there). Returns ``out``."""
    os.makedirs(out, exist_ok=True)
    if not all(osp.exists(osp.join(out, f)) for f in FILES):
        if all(osp.exists(osp.join(source, f + '.gz')) for f in FILES):
            for name in FILES:
                tmp = osp.join(out, name + '.part')
                with gzip.open(osp.join(source, name + '.gz'), 'rb') as src, \
                        open(tmp, 'wb') as dst:
                    shutil.copyfileobj(src, dst)
                os.replace(tmp, osp.join(out, name))
        else:
            print(f'{source} not found (Debian package '
                  f'dataset-fashion-mnist); trying mmpretrain\'s download '
                  f'into {out}')
            from mmpretrain.datasets import FashionMNIST
            FashionMNIST(data_root=out, download=True)
    if not all(osp.exists(osp.join(out, HELDOUT, f)) for f in FILES):
        write_heldout(out)
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

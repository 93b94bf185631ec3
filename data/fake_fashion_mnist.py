"""Write a tiny, synthetic FashionMNIST in the on-disk format torchvision reads.

Tests and CI run the assignment notebooks offline. This module writes the four idx files
that ``torchvision.datasets.FashionMNIST`` looks for under ``<root>/FashionMNIST/raw/``, so
``FashionMNIST(root, download=True)`` finds them and never goes online. The images are not
real clothes: each class is a simple silhouette (a different shape per class) that is
shifted, rescaled and blurred with noise, so models can learn something from it.

Usage as a script::

    python data/fake_fashion_mnist.py ROOT [--train 1000] [--test 200] [--seed 0]

or from Python::

    from data.fake_fashion_mnist import write_fake_fashion_mnist
    write_fake_fashion_mnist("/tmp/nncourse-data")
"""
import argparse
import struct
from pathlib import Path

import numpy as np

SIZE = 28
FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}


def _silhouette(label):
    """A 28x28 float mask in [0, 1] that stands in for class ``label``."""
    r, c = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    box = lambda top, bottom, left, right: (r >= top) & (r <= bottom) & (c >= left) & (c <= right)
    shapes = {
        0: box(5, 22, 7, 20) | box(5, 10, 3, 24),                       # T-shirt, short sleeves
        1: box(3, 25, 8, 12) | box(3, 25, 15, 19) | box(3, 7, 8, 19),   # trouser: two legs
        2: box(5, 23, 7, 20) | box(5, 20, 2, 25),                       # pullover: long sleeves
        3: (np.abs(c - 13.5) <= 3 + (r - 3) * 0.35) & (r >= 3) & (r <= 25),  # dress: a flare
        4: (box(4, 24, 6, 21) | box(4, 23, 2, 25)) & ~box(4, 24, 13, 14),  # coat: open front
        5: box(17, 21, 3, 24) & ~box(17, 19, 9, 18),                     # sandal: thin straps
        6: box(5, 22, 7, 20) | (box(5, 22, 3, 24) & (r < 9)),            # shirt
        7: box(15, 21, 3, 24) | box(11, 21, 3, 12),                      # sneaker: low, long
        8: box(9, 23, 5, 22) | (box(5, 9, 9, 18) & ~box(6, 8, 11, 16)),  # bag with a handle
        9: box(16, 22, 3, 24) | box(5, 22, 13, 21),                      # ankle boot: tall shaft
    }
    return shapes[label].astype(float)


def make_images(n, seed):
    """``n`` images (uint8, shape (n, 28, 28)) and labels (uint8, shape (n,)), balanced classes."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    masks = np.stack([_silhouette(k) for k in range(10)])
    images = np.empty((n, SIZE, SIZE))
    for i, label in enumerate(labels):
        img = np.roll(masks[label], tuple(rng.integers(-2, 3, size=2)), axis=(0, 1))
        texture = 0.6 + 0.4 * rng.random((SIZE, SIZE))
        img = img * texture * rng.uniform(0.5, 1.0)
        # a little blur softens the edges, then some pixel noise
        img = (img + np.roll(img, 1, 0) + np.roll(img, 1, 1) + np.roll(img, -1, 0)) / 4
        images[i] = np.clip(img + 0.05 * rng.standard_normal((SIZE, SIZE)), 0, 1)
    return (images * 255).round().astype(np.uint8), labels.astype(np.uint8)


def _write_idx(path, array):
    """idx format: magic (0x08 = unsigned byte, then the number of dims), big-endian dims."""
    with open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_fake_fashion_mnist(root, n_train=1000, n_test=200, seed=0):
    """Write the four idx files under ``<root>/FashionMNIST/raw/``; returns that folder."""
    raw = Path(root) / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, n, split_seed in (("train", n_train, seed), ("test", n_test, seed + 1)):
        images, labels = make_images(n, split_seed)
        _write_idx(raw / FILES[(split, "images")], images)
        _write_idx(raw / FILES[(split, "labels")], labels)
    return raw


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="data directory (the notebooks' NNCOURSE_DATA)")
    parser.add_argument("--train", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument("--test", type=int, default=200, help="test images (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    raw = write_fake_fashion_mnist(args.root, args.train, args.test, args.seed)
    print(f"wrote {args.train} training and {args.test} test images to {raw}")


if __name__ == "__main__":
    main()

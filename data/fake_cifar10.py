"""Write a tiny, synthetic CIFAR-10 in the on-disk format of the "CIFAR-10 python version".

Tests and CI run Assignment 5 offline. The real data set, once downloaded and unpacked, is a
folder ``cifar-10-batches-py/`` holding five training batches ``data_batch_1`` ...
``data_batch_5``, one ``test_batch`` and ``batches.meta``, each a pickled dict. This module
writes the same folder, with the same keys and dtypes:

* a batch: ``{"batch_label": str, "labels": list of int in 0..9, "data": uint8 array
  (n, 3072), "filenames": list of str}``; each row of ``data`` is one 32 x 32 image stored
  channel by channel (1024 red values, then 1024 green, then 1024 blue, each row-major);
* ``batches.meta``: ``{"label_names": the ten class names, "num_cases_per_batch": n,
  "num_vis": 3072}``.

The images are not real photographs: each class has its own colour scheme and a simple shape
(a disk, a bar, a ring, ...), drawn at a random position and size with some noise, so models can
learn something from them. With ``hard=True`` (``--hard``) the colours are jittered so that they
no longer give the class away, the pixel noise is stronger, and 20% of the training labels are
replaced by random ones (test labels stay clean): networks then need several epochs, stay below
100% accuracy, and overfit, so early stopping has something to do. The MD5 sums differ from the real files, so
``torchvision.datasets.CIFAR10`` refuses these files in its integrity check; the assignment's
own loader reads the batches directly (and torchvision's reading code does too, see the tests).

Usage as a script::

    python data/fake_cifar10.py ROOT [--per-batch 200] [--test 200] [--seed 0] [--hard]

or from Python::

    from data.fake_cifar10 import write_fake_cifar10
    write_fake_cifar10("/tmp/nncourse-data")
"""
import argparse
import pickle
from pathlib import Path

import numpy as np

SIZE = 32
FOLDER = "cifar-10-batches-py"
CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck"]
# (background RGB, foreground RGB) per class, in [0, 1]
COLOURS = [((0.55, 0.70, 0.95), (0.85, 0.85, 0.90)),   # airplane: grey on sky blue
           ((0.45, 0.45, 0.45), (0.85, 0.15, 0.15)),   # automobile: red on asphalt
           ((0.60, 0.80, 0.55), (0.30, 0.20, 0.10)),   # bird: brown on green
           ((0.75, 0.65, 0.55), (0.95, 0.60, 0.20)),   # cat: orange on beige
           ((0.30, 0.55, 0.25), (0.55, 0.35, 0.15)),   # deer: brown on forest green
           ((0.70, 0.70, 0.60), (0.35, 0.25, 0.20)),   # dog: dark brown on light
           ((0.20, 0.40, 0.20), (0.40, 0.85, 0.30)),   # frog: bright green on dark green
           ((0.65, 0.75, 0.45), (0.45, 0.25, 0.15)),   # horse: chestnut on field
           ((0.15, 0.35, 0.70), (0.90, 0.90, 0.85)),   # ship: white on sea blue
           ((0.50, 0.50, 0.50), (0.20, 0.35, 0.80))]   # truck: blue on asphalt


def _shape(label, rng):
    """A 32x32 float mask in [0, 1] for class ``label`` at a random position and size."""
    r, c = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    cy, cx = rng.uniform(11, 21, size=2)
    s = rng.uniform(0.8, 1.2)
    dy, dx = (r - cy) / s, (c - cx) / s
    shapes = {
        0: (np.abs(dy) < 2) & (np.abs(dx) < 12) | (np.abs(dx) < 2) & (np.abs(dy) < 8),  # a cross
        1: (np.abs(dy) < 5) & (np.abs(dx) < 11),                                         # wide box
        2: dy ** 2 + dx ** 2 < 25,                                                        # disk
        3: (dy ** 2 + dx ** 2 < 64) & (dy ** 2 + dx ** 2 > 25),                           # ring
        4: (np.abs(dx) < 2.5) & (np.abs(dy) < 12),                                        # bar
        5: (np.abs(dy) + np.abs(dx) < 9),                                                 # diamond
        6: (dy > -6) & (np.abs(dx) < (dy + 6) * 0.9) & (dy < 6),                          # triangle
        7: (np.abs(dy) < 8) & (np.abs(dx) < 8) & ~((np.abs(dy) < 4) & (np.abs(dx) < 4)),  # frame
        8: (np.abs(dy - 3) < 3) & (np.abs(dx) < 12 - np.abs(dy - 3)),                     # hull
        9: (np.abs(dy) < 6) & (np.abs(dx) < 13) | (np.abs(dy + 7) < 3) & (np.abs(dx - 7) < 5),
    }
    return shapes[label].astype(float)


def make_images(n, seed, jitter=0.0, noise=0.08, label_noise=0.0):
    """``n`` images (uint8, shape (n, 3, 32, 32)) and labels (int list), balanced classes.

    ``jitter`` shifts each image's colours by up to that much per channel, ``noise`` is the
    standard deviation of the pixel noise, and a fraction ``label_noise`` of the labels is then
    redrawn at random (from a separate generator, so the images do not depend on it).
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = np.empty((n, 3, SIZE, SIZE))
    for i, label in enumerate(labels):
        background, foreground = (np.array(c)[:, None, None] for c in COLOURS[label])
        if jitter:
            background = background + rng.uniform(-jitter, jitter, size=(3, 1, 1))
            foreground = foreground + rng.uniform(-jitter, jitter, size=(3, 1, 1))
        mask = _shape(label, rng)
        mask = (mask + np.roll(mask, 1, 0) + np.roll(mask, 1, 1) + mask) / 4   # soft edges
        shade = rng.uniform(0.75, 1.15)
        image = shade * (background * (1 - mask) + foreground * mask)
        image += noise * rng.standard_normal((3, SIZE, SIZE))
        images[i] = np.clip(image, 0, 1)
    if label_noise:
        flips = np.random.default_rng(seed + 10_000)
        chosen = flips.random(n) < label_noise
        labels[chosen] = flips.integers(0, 10, size=int(chosen.sum()))
    return (images * 255).round().astype(np.uint8), [int(k) for k in labels]


def _batch(name, images, labels):
    return {"batch_label": name, "labels": labels, "data": images.reshape(len(images), -1),
            "filenames": [f"fake_{name.replace(' ', '_')}_{i:05d}.png" for i in range(len(labels))]}


def write_fake_cifar10(root, per_batch=200, n_test=200, seed=0, hard=False):
    """Write ``<root>/cifar-10-batches-py/`` with 5 training batches of ``per_batch`` images,
    a test batch of ``n_test`` images and ``batches.meta``; returns that folder."""
    folder = Path(root) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    style = dict(jitter=0.25, noise=0.15) if hard else {}
    parts = [(f"data_batch_{k}", f"training batch {k} of 5", per_batch, seed + k,
              0.2 if hard else 0.0) for k in range(1, 6)]
    parts.append(("test_batch", "testing batch 1 of 1", n_test, seed + 100, 0.0))
    for file_name, label, n, part_seed, label_noise in parts:
        images, labels = make_images(n, part_seed, label_noise=label_noise, **style)
        with open(folder / file_name, "wb") as f:
            pickle.dump(_batch(label, images, labels), f, protocol=4)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({"label_names": CLASSES, "num_cases_per_batch": per_batch, "num_vis": 3072},
                    f, protocol=4)
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", help="data directory (the notebooks' NNCOURSE_DATA)")
    parser.add_argument("--per-batch", type=int, default=200,
                        help="images in each of the 5 training batches (default 200)")
    parser.add_argument("--test", type=int, default=200, help="test images (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hard", action="store_true",
                        help="jittered colours, more noise, 20%% random training labels")
    args = parser.parse_args(argv)
    folder = write_fake_cifar10(args.root, args.per_batch, args.test, args.seed, args.hard)
    print(f"wrote {5 * args.per_batch} training and {args.test} test images to {folder}")


if __name__ == "__main__":
    main()

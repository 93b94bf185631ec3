"""Grading throughput: this grader against a plain nbclient baseline, in one run.

    python benchmarks/grading.py [--n 200] [--per-assignment 20] [--baseline 4] [--jobs 2]

1. A class of ``--n`` submissions of mixed assignments (copies of data/examples/ under
   distinct, valid names) is graded with ``python -m grader grade``: wall time, including
   worker start-up, and submissions per second.
2. Per assignment, ``--per-assignment`` submissions graded the same way, against a baseline
   that executes ``--baseline`` of them whole, each with nbclient in a fresh python3 kernel
   (the usual way to autograde a notebook), with the same number of parallel workers.
   Prints submissions per second for both and the ratio.

The baseline runs notebooks in quick mode (NNCOURSE_SMALL=1, generated FashionMNIST), which
favours the baseline.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "data" / "examples"


def make_class(files, count, folder):
    folder.mkdir(parents=True)
    for i in range(count):
        source = files[i % len(files)]
        number = source.name.split("_")[1]
        shutil.copy(source, folder / f"Assignment_{number}_Student{chr(65 + i % 26)}x_{20000000 + i}.ipynb")
    return folder


def grade(folder, out, jobs, assignment=None):
    """Seconds for ``python -m grader grade`` on ``folder``, as an instructor runs it."""
    command = [sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out),
               "-j", str(jobs), "--no-progress", "--force"]
    started = time.monotonic()
    subprocess.run(command + (["-a", assignment] if assignment else []), check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def _execute_whole(path, data_dir):
    import nbclient
    import nbformat
    nb = nbformat.read(path, as_version=4)
    os.environ.update(NNCOURSE_SMALL="1", NNCOURSE_DATA=str(data_dir))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                                     extra_arguments=["--log-level=ERROR"],  # no TCP warnings
                                     resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()


def baseline(files, data_dir, jobs):
    started = time.monotonic()
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_execute_whole, files, [data_dir] * len(files)))
    return time.monotonic() - started


def fake_data(folder):
    sys.path.insert(0, str(REPO / "data"))
    try:
        import fake_fashion_mnist
        fake_fashion_mnist.main([str(folder)]) if hasattr(fake_fashion_mnist, "main") else None
    except Exception as error:  # the baseline still runs; assignment 3 may then fail early
        print(f"(could not generate fake FashionMNIST: {error})")
    return folder


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="mixed class size (default 200)")
    parser.add_argument("--per-assignment", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=4, help="notebooks run by the baseline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    files = sorted(EXAMPLES.glob("Assignment_*.ipynb"))
    if not files:
        sys.exit("no example submissions in data/examples (run: python -m grader examples)")
    work = Path(tempfile.mkdtemp(prefix="nncourse-bench-"))
    try:
        seconds = grade(make_class(files, args.n, work / "mixed"), work / "out-mixed", args.jobs)
        print(f"mixed class: {args.n} submissions in {seconds:.1f} s "
              f"({args.n / seconds:.2f}/s, {args.jobs} workers)")
        data_dir = fake_data(work / "data")
        by_assignment = {}
        for f in files:
            by_assignment.setdefault(f.name.split("_")[1], []).append(f)
        print(f"{'assignment':>10} {'grader/s':>9} {'baseline/s':>11} {'ratio':>7}")
        for number, group in sorted(by_assignment.items()):
            folder = make_class(group, args.per_assignment, work / f"a{number}")
            ours = args.per_assignment / grade(folder, work / f"out-{number}", args.jobs, number)
            sample = sorted(folder.iterdir())[:args.baseline]
            theirs = len(sample) / baseline(sample, data_dir, args.jobs)
            print(f"{number:>10} {ours:9.2f} {theirs:11.3f} {ours / theirs:6.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Grading throughput: this grader against a plain nbclient baseline, and the local pool
against the Dask backend, in one run.

    python benchmarks/grading.py [--n 200] [--per-assignment 20] [--baseline 4] [--jobs 2]
                                 [--dask local:2] [--baseline-limit 300] [--no-baseline]

1. A class of ``--n`` submissions of mixed assignments (copies of data/examples/ under
   distinct, valid names) is graded with ``python -m grader grade`` and ``--jobs`` workers:
   wall time, including worker start-up, and submissions per second.
2. With ``--dask local:N``: the same class graded with ``--dask local:N`` (N workers, like
   the local pool's ``--jobs``): both throughputs and their ratio; then a scaling run, the
   class graded with ``--dask local:1`` and ``--dask local:2``, and the ratio of the two.
3. Per assignment, ``--per-assignment`` submissions graded the same way, against a baseline
   that executes ``--baseline`` of them whole, each with nbclient in a fresh python3 kernel
   (the usual way to autograde a notebook), with the same number of parallel workers.
   Prints submissions per second for both and the ratio. Each baseline notebook runs in a
   process of its own with a wall-clock limit (``--baseline-limit``): a notebook that hits
   it is killed and reported, and left out of the baseline's throughput (a hung kernel must
   not make the grader look faster than it is); if none finishes there is no ratio.

The baseline runs notebooks in quick mode (NNCOURSE_SMALL=1, generated FashionMNIST), which
favours the baseline. The machine's load average is printed before and after each
measurement: figures taken on a busy machine are not comparable.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
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


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


def grade(folder, out, jobs, assignment=None, extra=()):
    """Seconds for ``python -m grader grade`` on ``folder``, as an instructor runs it."""
    command = [sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out),
               "-j", str(jobs), "--no-progress", "--force", *extra]
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


def run_whole(path, data_dir, limit):
    """Seconds to execute one notebook whole in a process of its own (nbclient and its
    kernel in a session of their own), or None when it hit ``limit`` and was killed."""
    command = [sys.executable, __file__, "--execute-one", str(path), "--data", str(data_dir)]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)     # nbclient and the kernel it started
        process.communicate()
        return None
    if process.returncode != 0:
        raise RuntimeError(f"baseline: {Path(path).name} failed: {stderr.strip()[-500:]}")
    return time.monotonic() - started


def baseline(files, data_dir, jobs, limit):
    """Notebooks per second of the baseline with ``jobs`` in parallel, from the notebooks
    that finished (each one's own time, times the notebooks run at once), and the names of
    those that hit the limit (their time is the limit's, not the notebook's: left out)."""
    parallel = max(1, min(jobs, len(files)))
    with ThreadPoolExecutor(parallel) as pool:
        times = list(pool.map(lambda f: run_whole(f, data_dir, limit), files))
    hung = [f.name for f, t in zip(files, times) if t is None]
    done = [t for t in times if t is not None]
    return (len(done) * parallel / sum(done) if done else None), hung


def fake_data(folder):
    sys.path.insert(0, str(REPO / "data"))
    try:
        import fake_fashion_mnist
        fake_fashion_mnist.main([str(folder)]) if hasattr(fake_fashion_mnist, "main") else None
    except Exception as error:  # the baseline still runs; assignment 3 may then fail early
        print(f"(could not generate fake FashionMNIST: {error})")
    return folder


def compare_backends(folder, work, count, jobs, dask, local=None):
    """The mixed class with the local pool (``local``: its throughput with ``jobs`` workers,
    already measured) and with Dask; then Dask with 1 and 2 workers."""
    workers = int(dask.partition(":")[2] or jobs)
    print(f"backends ({load()}):")
    if local is None or workers != jobs:
        local = count / grade(folder, work / "out-local", workers)
        print(f"  local pool, {workers} workers: {local:.3f}/s ({load()})")
    else:
        print(f"  local pool, {workers} workers: {local:.3f}/s (the run above)")
    theirs = count / grade(folder, work / "out-dask", workers, extra=["--dask", dask])
    print(f"  --dask {dask}:{' ' * max(0, 12 - len(dask))} {theirs:.3f}/s ({load()})")
    print(f"  dask / local: {theirs / local:.3f}")
    print(f"scaling (Dask, {load()}):")
    one = count / grade(folder, work / "out-dask-1", 1, extra=["--dask", "local:1"])
    print(f"  1 worker:  {one:.3f}/s ({load()})")
    two = theirs if workers == 2 else \
        count / grade(folder, work / "out-dask-2", 2, extra=["--dask", "local:2"])
    print(f"  2 workers: {two:.3f}/s{' (the run above)' if workers == 2 else ''}")
    print(f"  2 workers / 1 worker: {two / one:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="mixed class size (default 200)")
    parser.add_argument("--per-assignment", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=4, help="notebooks run by the baseline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", metavar="local:N",
                        help="also grade the mixed class with --dask local:N, and with 1 and 2 "
                             "Dask workers (needs nncourse[cluster])")
    parser.add_argument("--baseline-limit", type=float, default=300.0, metavar="SECONDS",
                        help="wall-clock limit of one baseline notebook (default 300)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-assignment comparison with the nbclient baseline")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_one:                # a baseline notebook, in a process of its own
        _execute_whole(args.execute_one, args.data)
        return
    if args.dask and not (args.dask == "local" or args.dask.startswith("local:")):
        parser.error("--dask: give local or local:N (a benchmark needs this machine's cores)")
    files = sorted(EXAMPLES.glob("Assignment_*.ipynb"))
    if not files:
        sys.exit("no example submissions in data/examples (run: python -m grader examples)")
    print(f"machine: {os.cpu_count()} cores, {load()}")
    work = Path(tempfile.mkdtemp(prefix="nncourse-bench-"))
    try:
        mixed = make_class(files, args.n, work / "mixed")
        seconds = grade(mixed, work / "out-mixed", args.jobs)
        print(f"mixed class: {args.n} submissions in {seconds:.1f} s "
              f"({args.n / seconds:.2f}/s, {args.jobs} workers; {load()})")
        if args.dask:
            compare_backends(mixed, work, args.n, args.jobs, args.dask, args.n / seconds)
        if args.no_baseline:
            return
        data_dir = fake_data(work / "data")
        by_assignment = {}
        for f in files:
            by_assignment.setdefault(f.name.split("_")[1], []).append(f)
        print(f"{'assignment':>10} {'grader/s':>9} {'baseline/s':>11} {'ratio':>7}")
        for number, group in sorted(by_assignment.items()):
            folder = make_class(group, args.per_assignment, work / f"a{number}")
            ours = args.per_assignment / grade(folder, work / f"out-{number}", args.jobs, number)
            sample = sorted(folder.iterdir())[:args.baseline]
            theirs, hung = baseline(sample, data_dir, args.jobs, args.baseline_limit)
            ratio = f"{ours / theirs:6.1f}x" if theirs else "    n/a"
            shown = f"{theirs:11.3f}" if theirs else f"{'n/a':>11}"
            print(f"{number:>10} {ours:9.2f} {shown} {ratio}")
            for name in hung:
                print(f"{'':>10} baseline: {name} hit the {args.baseline_limit:g} s wall-clock "
                      f"limit and was killed; left out of the baseline's throughput")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

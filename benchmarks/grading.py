"""Grading throughput: this grader against a plain nbclient baseline, and the local pool
against the Dask backend, in one run.

    python benchmarks/grading.py [--n 200] [--per-assignment 20] [--baseline 4] [--jobs 2]
                                 [--dask local:2 [--repeat 2]] [--baseline-limit 300]
                                 [--no-baseline]

1. A class of ``--n`` submissions of mixed assignments (copies of data/examples/ under
   distinct, valid names) is graded with ``python -m grader grade`` and ``--jobs`` workers:
   wall time, including worker start-up, and submissions per second.
2. With ``--dask local:N``, instead: the class graded by the local pool with N workers, by
   ``--dask local:N``, and by ``--dask local:1``, in turn, ``--repeat`` times (the best of
   each counts): both backends' throughputs and their ratio, and the scaling from 1 to N
   Dask workers.
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
    workers = [] if "--dask" in extra else ["-j", str(jobs)]   # local:N says how many
    command = [sys.executable, "-m", "grader", "grade", str(folder), "-o", str(out),
               *workers, "--no-progress", "--force", *extra]
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
    """Generated stand-ins for the data sets the notebooks download (FashionMNIST for
    assignment 3, CIFAR-10 for assignment 5), in their on-disk formats."""
    sys.path.insert(0, str(REPO / "data"))
    for module in ("fake_fashion_mnist", "fake_cifar10"):
        try:
            __import__(module).main([str(folder)])
        except Exception as error:  # the baseline still runs; that assignment may fail early
            print(f"(could not generate data with {module}: {error})")
    return folder


def compare_backends(folder, work, count, jobs, dask, repeat):
    """The mixed class with the local pool and with Dask (``jobs`` workers each), and with
    one Dask worker; ``repeat`` rounds, each running the three in turn, so that a change in
    the machine's load hits all three alike. The best round of each counts."""
    workers = int(dask.partition(":")[2] or jobs)
    runs = {f"local pool, {workers} workers": [],
            f"--dask local:{workers}": ["--dask", f"local:{workers}"],
            "--dask local:1": ["--dask", "local:1"]}
    best = {}
    for round_ in range(1, repeat + 1):
        for name, extra in runs.items():
            if name == "--dask local:1" and workers == 1:
                continue
            before = load()
            rate = count / grade(folder, work / "out-compare", workers, extra=extra)
            best[name] = max(best.get(name, 0.0), rate)
            print(f"  round {round_}: {name:<22} {rate:.3f}/s ({before}; after: {load()})")
    local, theirs = best[f"local pool, {workers} workers"], best[f"--dask local:{workers}"]
    one = best.get("--dask local:1", theirs)
    print(f"backends, {count} submissions, best of {repeat}: local pool {local:.3f}/s, "
          f"--dask local:{workers} {theirs:.3f}/s; dask / local: {theirs / local:.3f}")
    print(f"scaling (Dask): 1 worker {one:.3f}/s, {workers} workers {theirs:.3f}/s: "
          f"{theirs / one:.2f}x")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="mixed class size (default 200)")
    parser.add_argument("--per-assignment", type=int, default=20)
    parser.add_argument("--baseline", type=int, default=4, help="notebooks run by the baseline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dask", metavar="local:N",
                        help="grade the mixed class with the local pool (N workers), --dask "
                             "local:N and --dask local:1, and compare (needs nncourse[cluster])")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --dask: rounds of the comparison (the best of each counts)")
    parser.add_argument("--baseline-limit", type=float, default=300.0, metavar="SECONDS",
                        help="wall-clock limit of one baseline notebook (default 300)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the per-assignment comparison with the nbclient baseline")
    parser.add_argument("--assignments", metavar="N,N",
                        help="only these assignments' examples (e.g. 1,2,3,4 to compare with a "
                             "version that had no assignment 5)")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_one:                # a baseline notebook, in a process of its own
        _execute_whole(args.execute_one, args.data)
        return
    if args.dask and not (args.dask == "local" or args.dask.startswith("local:")):
        parser.error("--dask: give local or local:N (a benchmark needs this machine's cores)")
    files = sorted(EXAMPLES.glob("Assignment_*.ipynb"))
    if args.assignments:
        wanted = set(args.assignments.split(","))
        files = [f for f in files if f.name.split("_")[1] in wanted]
    if not files:
        sys.exit("no example submissions in data/examples (run: python -m grader examples)")
    print(f"machine: {os.cpu_count()} cores, {load()}")
    work = Path(tempfile.mkdtemp(prefix="nncourse-bench-"))
    try:
        mixed = make_class(files, args.n, work / "mixed")
        if args.dask:
            compare_backends(mixed, work, args.n, args.jobs, args.dask, args.repeat)
        else:
            seconds = grade(mixed, work / "out-mixed", args.jobs)
            print(f"mixed class: {args.n} submissions in {seconds:.1f} s "
                  f"({args.n / seconds:.2f}/s, {args.jobs} workers; {load()})")
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

"""``make test-binder``: does environment.yml give an environment the notebooks run in?

Binder builds its image from environment.yml. This check does the closest thing that needs
no conda: a fresh virtual environment with exactly the pip list of environment.yml (same
options, same ``-e .``), then the four solution notebooks run top to bottom in it, in quick
mode (NNCOURSE_SMALL=1, synthetic FashionMNIST), with that environment's own kernel. The
Python is this machine's python3, not the one environment.yml pins for conda.

It downloads every package (PyTorch included) into a new environment, so it takes minutes
and is not part of CI's run; run it after changing environment.yml or pyproject.toml.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

RUNNER = """
import json, sys, time
import nbformat
from nbclient import NotebookClient
path, folder = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
started = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": folder}}).execute()
errors = [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(nb.cells)
          if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
print(json.dumps({"errors": errors, "seconds": round(time.perf_counter() - started, 1)}))
"""


def pip_arguments(environment_yml):
    """The pip list of environment.yml as arguments for ``pip install``."""
    lines = Path(environment_yml).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    arguments = []
    for line in lines[start + 1:]:
        item = line.split(" #")[0].strip()
        if not item.startswith("- "):
            if item and not line.startswith(" "):
                break  # the next top-level key
            continue
        arguments += item[2:].split(maxsplit=1) if item[2:].startswith("-") else [item[2:]]
    return arguments


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=REPO / "out" / "binder-venv",
                        help="where to build the environment (removed first)")
    parser.add_argument("--python", default="python3", help="interpreter for the venv")
    args = parser.parse_args(argv)
    if args.venv.exists():
        shutil.rmtree(args.venv)
    subprocess.run([args.python, "-m", "venv", str(args.venv)], check=True)
    python = args.venv / "bin" / "python"
    started = time.monotonic()
    install = [str(python), "-m", "pip", "install", "--quiet", "--retries", "1", "--timeout",
               "30", *pip_arguments(REPO / "environment.yml")]
    print("$", " ".join(install[3:]), flush=True)
    subprocess.run(install, cwd=REPO, check=True)
    print(f"environment built in {time.monotonic() - started:.0f} s", flush=True)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{args.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               NNCOURSE_SMALL="1", MPLBACKEND="agg")
    failed = []
    with tempfile.TemporaryDirectory() as scratch:
        env["NNCOURSE_DATA"] = str(Path(scratch) / "data")
        (Path(scratch) / "runner.py").write_text(RUNNER)
        for solution in sorted((REPO / "solutions").glob("assignment_*.ipynb")):
            done = subprocess.run([str(python), str(Path(scratch) / "runner.py"), str(solution),
                                   str(solution.parent)], env=env, capture_output=True,
                                  text=True)
            if done.returncode:
                failed.append(solution.name)
                print(f"{solution.name}: the runner failed\n{done.stderr[-3000:]}")
                continue
            report = json.loads(done.stdout.strip().splitlines()[-1])
            state = "ok" if not report["errors"] else "ERRORS"
            print(f"{solution.name}: {state} in {report['seconds']} s", *report["errors"],
                  sep="\n  ")
            if report["errors"]:
                failed.append(solution.name)
    print("binder check:", "failed for " + ", ".join(failed) if failed else "all notebooks ran")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

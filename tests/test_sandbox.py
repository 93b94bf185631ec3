"""The sandbox works wherever Python is installed, and a kernel that dies while starting says
why (issue 13, item 1).

Each layout puts the Python installation where the kernel's private mounts used to cover it
(under /tmp or /var/tmp, inside a hidden repository or home) or reaches it through a symlink,
starts the REAL sandbox with that interpreter, and runs a cell that imports modules the zygote
had not loaded, so that they are read from the installation inside the sandbox. The
installations are venvs whose site-packages point at this process's libraries through a .pth
file (``sandbox_kit.venv_with_our_libraries``): nothing of torch is copied, and the libraries
themselves sit under a hidden home, as in the course's CI.
"""
import asyncio
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from grader.runner import KernelSession
from grader.sandbox import REPO, Limits, Zygote, full_isolation_available, mounts
from sandbox_kit import removing, run_cells, user_site_with_our_libraries, \
    venv_with_our_libraries

needs_sandbox = pytest.mark.skipif(not full_isolation_available(),
                                   reason="needs the full sandbox (root, Linux namespaces)")

# modules no zygote preloads: importing them reads the installation from inside the sandbox
PROBE = textwrap.dedent("""
    import importlib, os, sys
    fresh = [m for m in ("tomllib", "jinja2", "tqdm", "sympy.core") if m not in sys.modules]
    for name in fresh:
        importlib.import_module(name)
    print("prefix", sys.prefix, "fresh", len(fresh))
    print("specs visible", os.path.exists({specs!r}))
""").format(specs=str(REPO / "grader" / "specs"))


@pytest.fixture
def scratch(request):
    """A fresh folder under ``parent`` (/tmp, /var/tmp, /opt), removed after the test."""
    def make(parent: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix="nncourse-test-", dir=parent))
        path.chmod(0o755)   # as an installation folder is: readable by the sandbox user
        request.addfinalizer(removing(path))
        return path
    return make


@pytest.fixture
def zygotes():
    made = []

    def make(*args, **kwargs) -> Zygote:
        made.append(Zygote(*args, **kwargs))
        return made[-1]
    yield make
    for zygote in made:
        zygote.close()


def probe(zygote, extra=""):
    cell, = run_cells(zygote, PROBE + extra)
    assert cell.status == "ok", cell.error
    assert "fresh 0" not in cell.stdout, "the probe imported nothing new"
    assert "specs visible False" in cell.stdout
    return cell.stdout


@needs_sandbox
def test_venv_inside_a_repository_under_tmp(scratch, zygotes):
    """The fresh clone of issue 13: `make demo` in /tmp/course puts the venv in
    /tmp/course/.venv; the repository is hidden, its venv must come back, and /tmp's private
    tmpfs must not cover it again. The repository's secrets stay hidden."""
    repo = scratch("/tmp") / "course"
    python = venv_with_our_libraries(repo / ".venv")
    (repo / "grader" / "specs").mkdir(parents=True)
    (repo / "grader" / "specs" / "a1_xor.py").write_text("HIDDEN = 'expected values'\n")
    (repo / "solutions").mkdir()
    zygote = zygotes(("numpy",), python=str(python), hide=[str(repo)])
    out = probe(zygote, f"print('repository holds', sorted(os.listdir({str(repo)!r})))")
    assert f"prefix {repo / '.venv'} " in out
    assert "repository holds ['.venv']" in out


@needs_sandbox
def test_venv_under_var_tmp(scratch, zygotes):
    venv = scratch("/var/tmp") / "venv"
    zygote = zygotes(("numpy",), python=str(venv_with_our_libraries(venv)))
    assert f"prefix {venv} " in probe(zygote)


@needs_sandbox
def test_symlinked_venv(scratch, zygotes):
    """A venv reached through a symlink under /tmp (as a CI cache linked into a clone): the
    process uses the link's path (sys.prefix, sys.path), the link itself is in the private
    /tmp, and the target may be in a hidden home. Both paths must work in the kernel."""
    if sys.prefix != sys.base_prefix:
        target = Path(sys.prefix)          # this test run's own venv: the real libraries
    else:
        target = scratch("/var/tmp") / "venv"
        venv_with_our_libraries(target)
    link = scratch("/tmp") / "venv"
    link.symlink_to(target.resolve(), target_is_directory=True)
    zygote = zygotes(("numpy",), python=str(link / "bin" / "python"))
    out = probe(zygote, "print('real prefix works', os.path.isdir("
                        "os.path.join(os.path.realpath(sys.prefix), 'lib')))")
    assert f"prefix {link} " in out
    assert "real prefix works True" in out


@needs_sandbox
def test_user_site_install_in_a_hidden_home(scratch, zygotes, monkeypatch):
    """`pip install --user`: the libraries live in ~/.local, and home folders are hidden; the
    interpreter is the one this run's venv was made from (pyenv's, in a home, here)."""
    home = scratch("/var/tmp") / "home"
    site = user_site_with_our_libraries(home / ".local")
    monkeypatch.setenv("PYTHONUSERBASE", str(home / ".local"))
    zygote = zygotes(("numpy",), python=sys._base_executable, hide=[str(home)])
    out = probe(zygote, "print('user site on path', any(p.startswith("
                        f"{str(site)!r}) for p in sys.path))")
    assert "user site on path True" in out


@needs_sandbox
def test_venv_under_opt(scratch, zygotes):
    """A conda-like installation under /opt, which no private mount covers; its libraries
    (through the .pth file) are in a hidden home all the same."""
    venv = scratch("/opt") / "venv"
    zygote = zygotes(("numpy",), python=str(venv_with_our_libraries(venv)))
    assert f"prefix {venv} " in probe(zygote)


@needs_sandbox
def test_installed_grader_does_not_expose_its_specs(scratch):
    """With the grader installed into site-packages (not editable), mapping site-packages
    back must not bring the specs (hidden checks, expected values) into the sandbox."""
    venv = scratch("/opt") / "venv"
    python = venv_with_our_libraries(venv)
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / \
        "site-packages"
    shutil.copytree(REPO / "grader", site / "grader",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import grader
        assert grader.__file__.startswith({str(site)!r}), grader.__file__
        from grader.sandbox import Zygote
        from sandbox_kit import run_cells
        zygote = Zygote(("numpy",))
        try:
            cell, = run_cells(zygote, "import os; print(os.listdir({str(site / 'grader')!r}),"
                                      " os.listdir({str(site / 'grader' / 'specs')!r}))")
        finally:
            zygote.close()
        print(cell.status, cell.error)
        print(cell.stdout)
    """)
    import subprocess
    done = subprocess.run([str(python), "-c", script], cwd="/", capture_output=True, text=True,
                          timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok"), done.stdout
    assert "'sandbox'" in done.stdout      # the package itself is there ...
    assert "] []\n" in done.stdout         # ... but its specs folder is empty


# ------------------------------------------------------------------ a kernel's last words

def start_kernel(zygote):
    asyncio.run(KernelSession(zygote)._start(attempts=1))


def test_kernel_that_dies_at_start_says_why(zygotes):
    """An exception while the kernel locks itself down (here: a limit the system refuses)
    reaches the grader's error message."""
    zygote = zygotes(("numpy",), limits=Limits(open_files=2**30))
    with pytest.raises(RuntimeError) as info:
        start_kernel(zygote)
    message = str(info.value)
    assert message.startswith("Kernel died before replying to kernel_info")
    assert "ValueError: not allowed to raise maximum limit" in message


class UnreadableConnectionFile(Zygote):
    def spawn(self, connection_file):
        Path(connection_file).chmod(0)   # the kernel (not root) cannot read it and gives up
        return super().spawn(connection_file)


def test_kernel_stderr_at_start_reaches_the_error(zygotes):
    """What the kernel itself prints before it dies (ipykernel's own error) is in the error."""
    made = UnreadableConnectionFile(("numpy",))
    try:
        with pytest.raises(RuntimeError) as info:
            start_kernel(made)
    finally:
        made.close()
    assert "Kernel died before replying to kernel_info" in str(info.value)
    assert "PermissionError" in str(info.value)


def test_only_the_installation_is_mapped_back():
    """Never a path that holds a hidden folder or a private one: /, a script's folder /tmp
    on sys.path, /var, the repository root; a venv under /tmp or in the repository is fine."""
    repo = "/srv/course"
    paths = ["/", "/tmp", "/var", repo, f"{repo}/.venv/lib/python3.11/site-packages",
             "/tmp/venv", "/usr/lib/python3.11"]
    planned = [path for path, _ in mounts.plan_map_back(paths, ["/root", "/home", repo])]
    assert planned == ["/tmp/venv", "/usr/lib/python3.11",
                       f"{repo}/.venv/lib/python3.11/site-packages"]


def test_specs_of_another_checkout_that_an_editable_install_points_at_are_secret(tmp_path,
                                                                                 monkeypatch):
    """An editable install made from another checkout maps ``grader`` there; its specs and
    solutions are hidden from kernels as this checkout's are."""
    from grader import sandbox
    other = tmp_path / "other-clone"
    (other / "grader" / "specs").mkdir(parents=True)
    (other / "grader" / "kernel_runtime.py").write_text("")
    (other / "solutions").mkdir()
    site_packages = tmp_path / "site-packages"
    site_packages.mkdir()
    (site_packages / "__editable___nncourse_0_1_0_finder.py").write_text(
        f"MAPPING: dict[str, str] = {{'grader': {str(other / 'grader')!r}}}\n")
    monkeypatch.setattr(sandbox.site, "getsitepackages", lambda: [str(site_packages)])
    secrets = sandbox._secrets()
    assert str(other / "grader" / "specs") in secrets
    assert str(other / "solutions") in secrets

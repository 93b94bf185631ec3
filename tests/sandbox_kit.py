"""Helpers for the sandbox tests: Python installations in unusual places, and cells run in a
kernel forked straight from a ``Zygote`` (the grader's own start path, without a spec)."""
import asyncio
import queue
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from grader.runner import KernelSession

VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass
class Cell:
    status: str   # "ok" or "error" (the last cell run if the kernel died)
    stdout: str
    error: str    # "Name: message" of the exception the cell raised, if any


def this_site_packages() -> list[str]:
    """Where this test process finds its libraries (torch, ipykernel, ...)."""
    return [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]


def venv_with_our_libraries(where: Path) -> Path:
    """A venv at ``where`` (no pip, made in a fraction of a second) whose site-packages point
    at this process's libraries through a .pth file, so that no gigabytes are copied; its
    interpreter is the real one. Returns the venv's python."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(where)], check=True)
    site = where / "lib" / VERSION / "site-packages"
    (site / "our-libraries.pth").write_text("\n".join(dict.fromkeys(this_site_packages())) + "\n")
    return where / "bin" / "python"


def user_site_with_our_libraries(userbase: Path) -> Path:
    """A user-site install (``pip install --user``) under ``userbase``; returns its folder."""
    site = userbase / "lib" / VERSION / "site-packages"
    site.mkdir(parents=True)
    (site / "our-libraries.pth").write_text("\n".join(dict.fromkeys(this_site_packages())) + "\n")
    return site


async def _run(zygote, codes, timeout):
    session = KernelSession(zygote)
    try:
        await session._start(attempts=1)
        kc, cells = session.client.kc, []
        for code in codes:
            msg_id, out, error = kc.execute(code), [], ""
            deadline = time.monotonic() + timeout
            while True:
                try:
                    msg = await kc.get_iopub_msg(timeout=0.2)
                except queue.Empty:
                    if not await session.client.km.is_alive():
                        error = "(the kernel died)"
                        break
                    if time.monotonic() > deadline:
                        raise
                    continue
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    out.append(content["text"])
                elif kind == "error":
                    error = f"{content['ename']}: {content['evalue']}"
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            cells.append(Cell("error" if error else "ok", "".join(out), error))
            if error == "(the kernel died)":
                break
        return cells
    finally:
        await session.stop()


def run_cells(zygote, *codes: str, timeout: float = 60) -> list[Cell]:
    """Start one kernel, run ``codes`` in it one after another, stop it."""
    return asyncio.run(_run(zygote, codes, timeout))


def host_processes_of(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def removing(path: Path):
    """A finalizer for a test folder outside pytest's tmp_path (/var/tmp, /opt)."""
    def remove():
        subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=False)
    return remove


"""A JupyterLab server and a headless Chromium for the browser tests (no pytest in here)."""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """``jupyter lab`` on a random port with a random token, serving ``root``.

    Settings and workspaces live in a temporary folder, so nothing of the user's JupyterLab
    (themes, open tabs, extensions' settings) changes what the tests see.
    """

    def __init__(self, root, home, env=None):
        self.root, self.port, self.token = Path(root), free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        environment.update(env or {})
        home = Path(home)
        environment.update(JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
                           JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
                           JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                           JUPYTER_DATA_DIR=str(home / "data"),
                           JUPYTER_CONFIG_DIR=str(home / "config"))
        # No "get notified about Jupyter news?" pop-up over the notebook in screenshots.
        news = home / "settings" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        self.log = open(home / "jupyter-lab.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
             "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
             f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly", "--allow-root"],
            cwd=self.root, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}",
                                            timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s")

    def open_url(self, notebook, workspace):
        # ?reset starts from an empty workspace: no tabs restored from an earlier test
        return (f"{self.url}/lab/workspaces/{workspace}/tree/{notebook}"
                f"?reset&token={self.token}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def copy_notebooks(folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((REPO / "notebooks").glob("Assignment_*.ipynb")):
        shutil.copy(path, folder / path.name)
    return folder

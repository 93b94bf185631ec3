"""Submissions are isolated from each other (issue 12, item 9).

One class is graded by the real batch grader with ONE worker (so one kernel factory, one
sandbox uid, one memory cgroup): each attacker's task cell is followed, in file-name order, by
a correct "victim" submission, which must keep full marks. Where an attack must fail, the
attacker's cell sets ``X`` correctly only if it was refused, so task 9.1's 2 points say that
the protection held. Where an attack may succeed inside the kernel (shared memory, leftovers),
the host is searched afterwards for anything of it (tagged with this run's token).

Each test names the mechanism it covers; without that mechanism it fails.
"""
import errno
import json
import os
import secrets
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from fixtures import toy
from grader.sandbox import Limits, Zygote, full_isolation_available, limits, syscalls
from sandbox_kit import removing, run_cells, venv_with_our_libraries

REPO = Path(__file__).resolve().parent.parent
FULL = 7.0
TOKEN = secrets.token_hex(4)
NAME = f"nnc{TOKEN}left"[:15]               # a process name (15 characters at most)
KEY = 0x4E000000 + int(TOKEN[:5], 16)        # SysV IPC keys of this run: KEY, KEY+1, ...
SOLVED = 'X = np.array([[0., 0.], [1., 0.], [0., 1.], [1., 1.]]) if held else None'
PRELUDE = "import ctypes, errno, os, socket, time\nlibc = ctypes.CDLL(None, use_errno=True)\n"

needs_sandbox = pytest.mark.skipif(not full_isolation_available(),
                                   reason="needs the full sandbox (root, Linux namespaces)")

ATTACKS = {
    # 64 SysV segments of 32 MB, each written, then left: 2 GB in the slot's memory cgroup
    "shm": f"""
        libc.shmat.restype = ctypes.c_void_p
        libc.shmat.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
        libc.shmdt.argtypes = (ctypes.c_void_p,)
        for i in range(64):
            segment = libc.shmget({KEY} + 16 + i, 32 << 20, 0o1000 | 0o600)
            address = libc.shmat(segment, None, 0)
            ctypes.memset(address, 1, 32 << 20)
            libc.shmdt(ctypes.c_void_p(address))
        held = True
    """,
    "userns": """
        CLONE_NEWUSER = 0x10000000
        refused = libc.unshare(CLONE_NEWUSER) == -1 and ctypes.get_errno() == errno.EPERM
        no_clone3 = libc.syscall(435, None, 0) == -1 and ctypes.get_errno() == errno.ENOSYS
        held = refused and no_clone3
    """,
    "sockets": """
        def refused(family, kind=socket.SOCK_STREAM, protocol=0):
            try:
                socket.socket(family, kind, protocol).close()
            except OSError as error:
                return error.errno == errno.EOPNOTSUPP     # the seccomp filter's answer
            return False
        ring = (ctypes.c_char * 120)()
        no_uring = libc.syscall(425, 4, ring) == -1 and ctypes.get_errno() == errno.EPERM
        held = (refused(socket.AF_VSOCK) and refused(socket.AF_NETLINK, socket.SOCK_RAW)
                and refused(socket.AF_PACKET, socket.SOCK_RAW) and no_uring)
    """,
    "keyring": f"""
        KEY_SPEC_USER_KEYRING, KEYCTL_GET_KEYRING_ID = -4, 0
        added = libc.syscall(248, b"user", b"nncourse-{TOKEN}", b"note to the next", 16,
                             KEY_SPEC_USER_KEYRING)
        add_refused = added == -1 and ctypes.get_errno() == errno.EPERM
        found = libc.syscall(250, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0)
        keyctl_refused = found == -1 and ctypes.get_errno() == errno.EPERM
        held = add_refused and keyctl_refused
    """,
    "leftovers": f"""
        libc.shmget({KEY}, 1 << 20, 0o1000 | 0o666)
        libc.msgget({KEY} + 1, 0o1000 | 0o666)
        libc.semget({KEY} + 2, 1, 0o1000 | 0o666)
        for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
            with open(f"{{folder}}/{NAME}", "w") as handle:
                handle.write("left behind")
        child = os.fork()
        if child == 0:   # a daemon of its own session, named for the search
            os.setsid()
            if os.fork() == 0:
                libc.prctl(15, b"{NAME}", 0, 0, 0)
                time.sleep(600)
            os._exit(0)
        os.waitpid(child, 0)
        held = True
    """,
}


def host_file_attack(folder: Path) -> str:
    return f"""
        try:
            with open("{folder}/{NAME}", "w") as handle:
                handle.write("left behind")
            held = False
        except OSError as error:
            held = error.errno == errno.EROFS
    """


@pytest.fixture(scope="module")
def world_writable():
    """A world-writable folder on the host that no private mount covers, like /var/crash."""
    folder = Path(tempfile.mkdtemp(prefix="nncourse-test-", dir="/opt"))
    folder.chmod(0o1777)
    yield folder
    removing(folder)()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, toy_templates, world_writable):
    """Grade attacker, victim, attacker, victim, ... with one worker; results by name."""
    folder = tmp_path_factory.mktemp("isolation") / "class"
    folder.mkdir()
    attacks = {**ATTACKS, "hostfile": host_file_attack(world_writable)}
    for index, (kind, source) in enumerate(attacks.items()):
        letter = chr(65 + index)
        cell = PRELUDE + textwrap.dedent(source) + SOLVED
        toy.write(folder / f"Assignment_9_{letter}a{kind.capitalize()}_1000000{index}.ipynb",
                  {"task_9_1": cell})
        toy.write(folder / f"Assignment_9_{letter}bVictim_2000000{index}.ipynb", {})
    out = tmp_path_factory.mktemp("isolation-out")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]))
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), "-a", "9",
                           "-o", str(out), "--templates", str(toy_templates), "-j", "1",
                           "--no-progress"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    results = {}
    for path in (out / "results").glob("*.json"):
        result = json.loads(path.read_text())
        results[result["student"]["name"]] = result
    assert len(results) == 2 * len(attacks), sorted(results)
    return results


def attacker(results, kind):
    return next(r for name, r in results.items() if name.endswith("a" + kind.capitalize()))


def victim_after(results, kind):
    letter = next(n for n in results if n.endswith("a" + kind.capitalize()))[0]
    return results[f"{letter}bVictim"]


def assert_refused(results, kind):
    """The attacker's cell saw its attack refused (task 9.1 scored)."""
    task = attacker(results, kind)["tasks"]["task_9_1"]
    assert task["points"] == 2.0, task


def sysv_keys() -> set[int]:
    keys = set()
    for table in ("shm", "msg", "sem"):
        lines = Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
        keys |= {int(line.split()[0]) for line in lines}
    return keys


@needs_sandbox
def test_shared_memory_dies_with_its_kernel(graded):
    """Mechanism: an IPC namespace per kernel. 2 GB of SysV shared memory left by the
    attacker no longer exists once its kernel is gone (it used to stay in the host's
    namespace, charged to the slot's memory cgroup, and the next submissions died)."""
    assert victim_after(graded, "shm")["total"] == FULL
    assert not {KEY + 16 + i for i in range(64)} & sysv_keys()


@needs_sandbox
def test_user_namespaces_are_refused(graded):
    """Mechanism: the seccomp filter (unshare/clone with CLONE_NEWUSER; clone3 is ENOSYS)."""
    assert_refused(graded, "userns")
    assert victim_after(graded, "userns")["total"] == FULL


@needs_sandbox
def test_vsock_netlink_packet_sockets_and_io_uring_are_refused(graded):
    """Mechanism: the seccomp filter (socket families; io_uring, which opens sockets past
    it). AF_VSOCK reaches the host of this VM; AF_NETLINK is creatable anywhere, so this test
    fails without the filter even on a machine without vsock."""
    assert_refused(graded, "sockets")
    assert victim_after(graded, "sockets")["total"] == FULL


@needs_sandbox
def test_keyrings_are_refused(graded):
    """Mechanism: the seccomp filter (add_key, keyctl). A sandbox uid's keyring outlives its
    kernel: a note left there would reach the next submission graded under that uid."""
    assert_refused(graded, "keyring")
    assert victim_after(graded, "keyring")["total"] == FULL


@needs_sandbox
def test_nothing_of_a_kernel_remains_on_the_host(graded):
    """Mechanisms: the uid sweep (a daemon in its own session), the IPC namespace (SysV shm,
    message queue and semaphore set in the host's namespace) and the private tmpfs mounts
    (files in /tmp, /var/tmp, /dev/shm, /run/lock)."""
    assert victim_after(graded, "leftovers")["total"] == FULL
    names = []
    for entry in Path("/proc").iterdir():
        try:
            names.append((entry / "comm").read_text().strip())
        except OSError:
            pass
    assert NAME not in names
    assert not {KEY, KEY + 1, KEY + 2} & sysv_keys()
    assert not [f for f in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
                if (Path(f) / NAME).exists()]


@needs_sandbox
def test_no_file_can_be_left_in_a_world_writable_host_folder(graded, world_writable):
    """Mechanism: every mount but the kernel's private ones is read-only in its namespace,
    so a world-writable folder that no private tmpfs covers (as /var/crash on Ubuntu) takes
    no file of the sandbox uid."""
    assert_refused(graded, "hostfile")
    assert not (world_writable / NAME).exists()
    assert victim_after(graded, "hostfile")["total"] == FULL


# ------------------------------------------------------------------ one kernel factory

@pytest.fixture
def zygote_factory():
    made = []

    def make(*args, **kwargs) -> Zygote:
        made.append(Zygote(*args, **kwargs))
        return made[-1]
    yield make
    for zygote in made:
        zygote.close()


@needs_sandbox
def test_memory_left_in_the_cgroup_is_not_charged_to_the_next_kernel(zygote_factory):
    """Mechanism: ``MemoryGroup.ready`` before each kernel. Memory charged to the slot's
    cgroup that outlives every process (here 800 MB of a host tmpfs file written from inside
    the group, as shared memory in the host's IPC namespace used to be) must not count
    against the next kernel: the group is retired for a fresh one, and a kernel that needs
    300 MB of its 1024 MB still gets them (RLIMIT_AS leaves
    it about 400 MB of address space)."""
    zygote = zygote_factory(("numpy",), limits=Limits(memory_mb=1024))
    assert zygote.memory is not None, "no memory cgroup on this machine"
    leftover = Path(f"/dev/shm/nncourse-test-{TOKEN}")
    try:
        subprocess.run(["sh", "-c", f"echo $$ > {zygote.cgroup}/cgroup.procs && "
                                    f"head -c 800M /dev/zero > {leftover}"], check=True)
        assert zygote.memory_usage() > 790 * 2**20
        cell, = run_cells(zygote, "import numpy as np\nbig = np.ones(300 << 17)\n"
                                  "print(big.nbytes >> 20)")
        assert cell.status == "ok", cell.error
        assert zygote.memory.retired == 1
    finally:
        leftover.unlink(missing_ok=True)


@needs_sandbox
def test_memory_after_a_shared_memory_attack(zygote_factory):
    """Mechanism: the IPC namespace. A kernel leaves 1.5 GB of SysV shared memory in its
    cgroup; once it is stopped, its namespace's memory is freed within the short wait of
    ``MemoryGroup.ready``, and the group is not even retired."""
    zygote = zygote_factory(("numpy",))
    attack = PRELUDE + textwrap.dedent(ATTACKS["shm"]).replace(str(KEY + 16), str(KEY + 128))
    cell, = run_cells(zygote, attack.replace("range(64)", "range(48)")
                      + "\nprint('made', len([line for line in open('/proc/sysvipc/shm')]) - 1)")
    assert cell.stdout.strip() == "made 48", (cell.stdout, cell.error)
    after_sweep = zygote.memory_usage()
    started = time.monotonic()
    zygote.memory.ready()
    print(f"\nmemory charged to the slot: {after_sweep / 2**20:.0f} MB after the sweep, "
          f"{zygote.memory_usage() / 2**20:.1f} MB {time.monotonic() - started:.2f} s later")
    assert zygote.memory_usage() <= limits.LEFTOVER_BYTES
    assert zygote.memory.retired == 0


@needs_sandbox
def test_torch_numpy_matplotlib_and_processes_work_under_the_filter(zygote_factory):
    """The seccomp filter and the read-only mounts leave what assignments use working: a
    torch training step, DataLoader worker processes (fork, AF_UNIX sockets, /dev/shm), a
    matplotlib figure, threads and a subprocess (glibc falls back from clone3 to clone)."""
    zygote = zygote_factory(("numpy", "torch", "matplotlib"))
    assert zygote.seccomp_missing is None
    cells = run_cells(zygote, textwrap.dedent("""
        import torch
        model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        x, y = torch.randn(64, 4), torch.randn(64, 1)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y),
                                             batch_size=16, num_workers=2)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
        print("trained", float(loss) > 0)
    """), textwrap.dedent("""
        import io, subprocess, threading
        import matplotlib.pyplot as plt
        figure, axes = plt.subplots()
        axes.plot([0, 1, 2], [1, 0, 1])
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        worker = threading.Thread(target=lambda: None)
        worker.start(); worker.join()
        echoed = subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout
        print("png", buffer.getvalue()[:4] == b"\\x89PNG", echoed.strip())
    """), timeout=120)
    assert [c.status for c in cells] == ["ok", "ok"], [c.error for c in cells]
    assert "trained True" in cells[0].stdout
    assert "png True hi" in cells[1].stdout


# ------------------------------------------------------------------ without libseccomp

def test_filter_unavailable_without_the_binding(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyseccomp", None)   # import fails as if not installed
    rules, missing = syscalls.build_filter()
    assert rules is None and "no libseccomp" in missing


def test_missing_filter_is_said_once(monkeypatch, capsys):
    monkeypatch.setattr(syscalls, "build_filter", lambda: (None, "no libseccomp (test)"))
    import grader.sandbox as sandbox
    monkeypatch.setattr(sandbox, "_warned", False)
    sandbox.full_isolation_available()
    sandbox.full_isolation_available()
    assert capsys.readouterr().err.count("without their seccomp filter (no libseccomp") == 1


def test_kernels_still_run_where_the_filter_cannot_be_had(tmp_path, zygote_factory):
    """A Python whose pyseccomp cannot be imported (no libseccomp): the zygote says why and
    its kernels run all the same, without the filter."""
    python = venv_with_our_libraries(tmp_path / "venv")
    site = next((tmp_path / "venv" / "lib").glob("python3*")) / "site-packages"
    (site / "pyseccomp.py").write_text("raise RuntimeError('Unable to find libseccomp')\n")
    zygote = zygote_factory(("numpy",), python=str(python))
    assert "Unable to find libseccomp" in zygote.seccomp_missing
    cell, = run_cells(zygote, "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                              "print(libc.syscall(435, None, 0), ctypes.get_errno())")
    assert cell.status == "ok", cell.error
    # clone3 without arguments: the kernel's own EINVAL, not the filter's ENOSYS
    assert cell.stdout.split() == ["-1", str(errno.EINVAL)]


@needs_sandbox
@pytest.mark.parametrize("mount_setattr", [True, False], ids=["mount_setattr", "remounts"])
def test_read_only_elsewhere(mount_setattr, tmp_path):
    """Both ways of making the host's mounts read-only in a private mount namespace (one
    mount_setattr call, or a remount per mount on Linux before 5.12) leave exactly the
    writable mounts writable."""
    from grader.sandbox import mounts
    target = Path(tempfile.mkdtemp(prefix="nncourse-test-", dir="/opt"))
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            if not mount_setattr:
                mounts._set_read_only = lambda *args, **kwargs: False
            mounts.check(mounts._libc.unshare(mounts.CLONE_NEWNS), "unshare")
            mounts.mount(None, "/", None, mounts.MS_REC | mounts.MS_PRIVATE)
            mounts.mount("tmpfs", "/var/tmp", "tmpfs", 0, "size=1m")
            mounts.read_only_elsewhere(["/var/tmp"])
            outcome = []
            for folder in (target, Path("/var/tmp")):
                try:
                    (folder / "file").write_text("x")
                    outcome.append("written")
                except OSError as error:
                    outcome.append(errno.errorcode[error.errno])
            os.write(write, " ".join(outcome).encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    os.close(write)
    try:
        assert os.read(read, 100).decode() == "EROFS written"
        assert not (target / "file").exists()
    finally:
        removing(target)()

"""Run cells in a sandboxed kernel with nbclient, and bring back plain-data reports.

nbclient drives the kernel exactly as it drives any notebook; the kernel itself comes from
the sandbox's warm factory (``sandbox.Zygote``) through a jupyter_client provisioner, and
speaks over Unix sockets because it has no network. A request runs a task's cell, or (in a
request of its own, once the cell has finished) the task's checks; the kernel reports after
each step, and a watchdog times every step from those reports.
A step that runs past its limit is not interrupted (a student can ignore SIGINT): the kernel
and every process of its sandbox user are killed, and what is left gets a fresh kernel.
"""
import asyncio
import atexit
import json
import math
import secrets
import time
import uuid
from dataclasses import dataclass, field

import zmq
import zmq.asyncio

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbformat.v4 import new_notebook

from .result import Status
from .sandbox import ForkedProcess
from .wire import WIRE_MIME

OUTPUT_LIMIT = 256 * 1024       # bytes of ordinary output kept per step


class SandboxProvisioner(LocalProvisioner):
    """Launches kernels by asking the zygote to fork instead of starting a new process."""

    async def launch_kernel(self, cmd, **kwargs):
        km = self.parent
        pid = km.zygote.spawn(km.connection_file)
        self.process, self.pid, self.pgid = ForkedProcess(pid), pid, pid
        return self.connection_info

    async def kill(self, restart=False):
        self.parent.zygote.sweep(self.pid)

    async def cleanup(self, restart=False):
        self.parent.zygote.remove_socket_dir(self.parent.socket_dir)


def shared_context():
    """One zmq context per grader process, not one (with its I/O threads) per kernel.

    The client connects before the kernel has bound its sockets, and zmq retries a refused
    connection only every 100 ms by default: that wait was half of a kernel's start. A fast
    retry is only safe because every socket is closed with its kernel (``KernelSession.stop``);
    a socket left open would retry a dead endpoint forever.
    """
    context = zmq.asyncio.Context.instance()
    context.setsockopt(zmq.RECONNECT_IVL, 2)
    # What the kernel can make the grader hold at once: a message of at most REPORT_BYTES
    # (a larger one drops the connection) and a short queue of unread ones (zmq's default
    # of 1000 queued messages of any size would let a flood fill the grader's memory).
    context.setsockopt(zmq.MAXMSGSIZE, REPORT_BYTES)
    context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)
    return context


class QuickClient(AsyncKernelClient):
    """jupyter_client's readiness handshake idles 0.2 s per step; a forked kernel is up in
    milliseconds, so poll it in short steps instead."""

    def _context_default(self):
        return shared_context()

    def start_channels(self, *args, **kwargs):
        # no heartbeat: nbclient asks the kernel manager whether the kernel lives, and every
        # heartbeat channel is one more thread and socket per kernel
        super().start_channels(*args, **{**kwargs, "hb": False})

    async def wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (timeout or 60)
        while time.monotonic() < deadline:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=0.5)
            except Exception:  # queue.Empty: not answering yet
                if not await self.parent.is_alive():  # say why, from the kernel's start log
                    words = self.parent.zygote.start_log(self.parent.socket_dir)
                    raise RuntimeError("Kernel died before replying to kernel_info"
                                       + (f"; its last words: {words}" if words else "")) from None
                continue
            if reply["msg_type"] != "kernel_info_reply":
                continue
            try:  # IOPub is subscribed once the kernel's status messages reach us
                await self.iopub_channel.get_msg(timeout=0.05)
            except Exception:
                continue
            while await self.iopub_channel.msg_ready():
                await self.iopub_channel.get_msg(timeout=0)
            return
        raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")


class SandboxKernelManager(AsyncKernelManager):
    def __init__(self, zygote, **kwargs):
        super().__init__(transport="ipc", client_class="grader.runner.QuickClient",
                         context=shared_context(), **kwargs)
        self.zygote = zygote
        self.socket_dir = zygote.socket_dir()
        self.ip = str(self.socket_dir / "k")
        self.connection_file = str(self.socket_dir / "kernel.json")
        self._kernel_spec = KernelSpec(argv=["(forked by the grader)"], language="python",
                                       display_name="sandboxed python")

    async def _async_pre_start_kernel(self, **kwargs):
        if self.provisioner is None:
            self.provisioner = SandboxProvisioner(
                kernel_id=str(uuid.uuid4()), kernel_spec=self._kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kwargs)


class CappedClient(NotebookClient):
    """An nbclient client that collects the reports of the request in flight as they arrive
    (for the step watchdog), and bounds everything the kernel sends: at most OUTPUT_LIMIT
    bytes of ordinary output per step, and at most a few reports more than the request has
    steps, REQUEST_REPORT_BYTES in all. Beyond that nothing more is kept: a flood from the
    student's code must not fill the grader's memory."""

    def begin(self, nonce, steps):
        self.nonce, self.steps, self.received, self.done = nonce, list(steps), {}, 0
        self.truncated, self.flooded, self.duplicated = set(), False, set()
        self.output_bytes = self.report_bytes = self.report_count = 0
        self.progress = asyncio.Event()

    def output(self, outs, msg, display_id, cell_index):
        data = msg["content"].get("data") or {}
        if WIRE_MIME in data:  # reports never become notebook outputs; they are taken here
            self._take(data[WIRE_MIME])
            return None
        self.output_bytes += len(json.dumps(msg["content"]))
        if self.output_bytes > OUTPUT_LIMIT:
            self.truncated.add(self.done)
            return None
        return super().output(outs, msg, display_id, cell_index)

    async def _async_poll_kernel_alive(self):
        self.alive_poller = asyncio.current_task()  # so that a watchdog stop can end it too
        await super()._async_poll_kernel_alive()

    def _take(self, payload):
        self.report_count += 1
        if self.flooded or self.report_count > len(self.steps) + EXTRA_REPORTS:
            self._flood()
            return
        text = json.dumps(payload)
        self.report_bytes += len(text)
        if self.report_bytes > REQUEST_REPORT_BYTES or len(text) > REPORT_BYTES:
            self._flood()
            return
        if not isinstance(payload, dict) or payload.get("nonce") != self.nonce:
            return
        step = (payload.get("task"), payload.get("step"))
        if step not in self.steps:
            return
        if step in self.received:  # a forged copy: neither can be trusted
            self.duplicated.add(step)
        self.received[step] = json.loads(text)["report"] if "report" in payload else None
        while self.done < len(self.steps) and self.steps[self.done] in self.received:
            self.done += 1  # the next step starts when all before it are in
            self.output_bytes = 0
        self.progress.set()

    def _flood(self):
        """Nothing more from this request is read, and the watchdog stops the kernel now:
        what it keeps sending would only queue up in the grader's memory."""
        self.flooded = True
        self.progress.set()

    def reports(self):
        return {step: report for step, report in self.received.items()
                if step not in self.duplicated}


@dataclass
class CellRun:
    status: Status                   # OK, TIMEOUT or CRASHED
    reports: dict = field(default_factory=dict)   # (task, step) -> what the kernel reported
    seconds: float = 0.0
    truncated: set = field(default_factory=set)   # positions of steps whose output was cut
    limit: float = 0.0               # the time limit of the step that was stopped, in seconds
    flooded: bool = False            # the kernel sent more reports than the grader keeps
    stopped_at: tuple | None = None  # the step that was running when the kernel was stopped
    voided: set = field(default_factory=set)      # steps reported twice: neither is trusted


class KernelSession:
    """One sandboxed kernel at a time; a new one is forked after a timeout or a crash."""


    def __init__(self, zygote):
        self.zygote, self.client, self._context, self._km = zygote, None, None, None

    async def _start(self, attempts=3):
        """Fork a kernel and connect; a kernel that dies while starting is tried again,
        because under heavy load a start can fail for reasons that are not the student's."""
        for attempt in range(attempts):
            try:
                return await self._connect()
            except RuntimeError:
                await self.stop()
                if attempt == attempts - 1:
                    raise

    async def _connect(self):
        # kept here too: nbclient drops its reference when a start fails, and the socket
        # folder must still be removed
        self._km = km = SandboxKernelManager(self.zygote)
        self.client = CappedClient(new_notebook(), km=km, allow_errors=True,
                                   interrupt_on_timeout=False, startup_timeout=60,
                                   iopub_timeout=2, shutdown_kernel="immediate")
        # cleanup_kc: nbclient leaves a kernel it did not create running, with its channels
        # and sockets open; this session owns the kernel, so nbclient shuts all of it down
        self._context = self.client.async_setup_kernel(cleanup_kc=True)
        await self._context.__aenter__()

    async def stop(self):
        if self._context is not None:
            context, client, self._context, self.client = self._context, self.client, None, None
            km, kc = self._km, getattr(client, "kc", None)   # nbclient forgets them on exit
            pid = getattr(getattr(km, "provisioner", None), "pid", None)
            try:
                await context.__aexit__(None, None, None)
            except Exception:  # the kernel may already be gone; the sweep below is what counts
                pass
            atexit.unregister(client._cleanup_kernel)  # already cleaned up, once is enough
            self.zygote.sweep(pid)  # by pid too: without the sandbox uid there is no uid sweep
            # nbclient cleans up only a kernel that started: one that died while starting
            # would leave its channels open and its socket folder (a mount) behind
            if kc is not None:
                kc.stop_channels()
            self.zygote.remove_socket_dir(km.socket_dir)
        self.zygote.sweep()

    async def call(self, function, request, *, steps, deadline):
        """Run ``_nncourse_rt.<function>(nonce, request)`` in the kernel; return a CellRun.

        ``request`` is a JSON document, the request's data. ``steps`` is a list of
        ``((task, step), seconds)``: the kernel must report each step within ``seconds`` of
        the previous step's end, and all of them before ``deadline`` (time.monotonic()). A
        step that overruns is not interrupted (a student can ignore SIGINT): the kernel is
        killed.
        """
        if self.client is None:
            await self._start()
        nonce = secrets.token_hex(16)
        cell = NotebookNode(cell_type="code", metadata={}, outputs=[], execution_count=None,
                            source=f"__import__('_nncourse_rt').{function}({nonce!r}, "
                                   f"{request!r})")
        client, started = self.client, time.monotonic()
        client.nb.cells = [cell]
        client.timeout = max(1, math.ceil(deadline - started + FINISH_LIMIT))  # a backstop
        client.begin(nonce, [step for step, _ in steps])
        execution = asyncio.ensure_future(client.async_execute_cell(cell, 0))
        watchdog = asyncio.ensure_future(_watch(client, [s for _, s in steps], deadline))
        await asyncio.wait({execution, watchdog}, return_when=asyncio.FIRST_COMPLETED)
        limit = watchdog.result() if watchdog.done() and not execution.done() else None
        watchdog.cancel()
        if limit is not None:  # a step overran
            self.zygote.sweep(client.km.provisioner.pid)
            for task in (execution, getattr(client, "alive_poller", None)):
                if task is not None:
                    task.cancel()
            await asyncio.gather(execution, return_exceptions=True)
        status = Status.TIMEOUT if limit is not None else await _outcome(execution)
        stopped = client.steps[client.done] if client.done < len(client.steps) else None
        run = CellRun(status, client.reports(), time.monotonic() - started, client.truncated,
                      client.timeout if limit is None else limit, client.flooded,
                      stopped if status is not Status.OK else None, set(client.duplicated))
        if status is not Status.OK:
            await self.stop()
        return run


FINISH_LIMIT = 5.0  # seconds a request may take to end after its last report
EXTRA_REPORTS = 8   # reports beyond the request's steps that are still read (then: a flood)
REPORT_BYTES = 8 * 1024 * 1024            # one message (arrays travel as base64 .npy)
QUEUED_MESSAGES = 64                      # unread messages zmq holds for the grader
REQUEST_REPORT_BYTES = 64 * 1024 * 1024   # all reports of one request


async def _watch(client, limits, deadline):
    """Return the time limit of the first step that overruns; the request is normally over
    (and this cancelled) long before the final, open-ended wait runs out."""
    for position, seconds in enumerate([*limits, FINISH_LIMIT]):
        limit = max(0.0, min(seconds, deadline - time.monotonic()))
        end = time.monotonic() + limit
        while position == len(limits) or client.done <= position:
            if client.flooded:
                return float(math.ceil(limit))
            remaining = end - time.monotonic()
            if remaining <= 0:  # whole seconds, as a limit cut short by the budget is shown
                return float(math.ceil(limit))
            client.progress.clear()
            try:
                await asyncio.wait_for(client.progress.wait(), remaining)
            except asyncio.TimeoutError:
                pass


async def _outcome(execution):
    try:
        await execution
        return Status.OK
    except CellTimeoutError:
        return Status.TIMEOUT
    except (DeadKernelError, RuntimeError, asyncio.CancelledError):
        return Status.CRASHED
    except Exception:  # e.g. "Invalid Signature": the kernel signs with a key of its own
        return Status.CRASHED  # choosing; it cannot be trusted further, so it is replaced

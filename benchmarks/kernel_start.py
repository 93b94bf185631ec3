"""Kernel start time: fork a sandboxed kernel, wait until it answers, run one trivial cell,
stop it; repeated ``--n`` times on one warm kernel factory, as a grading worker does.

    python benchmarks/kernel_start.py [--n 50] [--preload numpy] [--no-isolate]

Prints the median and mean seconds per kernel (the full sandbox when running as root), and
the memory charged to the slot's memory cgroup after the last kernel.
"""
import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.runner import KernelSession  # noqa: E402
from grader.sandbox import Zygote  # noqa: E402


async def one_kernel(zygote: Zygote) -> float:
    started = time.perf_counter()
    session = KernelSession(zygote)
    await session._start()
    kc = session.client.kc
    msg_id = kc.execute("1 + 1")
    while True:
        reply = await kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["status"] == "ok", reply["content"]
    await session.stop()
    return time.perf_counter() - started


async def main(n: int, zygote: Zygote) -> list[float]:
    await one_kernel(zygote)  # the first kernel warms the page cache
    return [await one_kernel(zygote) for _ in range(n)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--preload", nargs="*", default=["numpy"])
    parser.add_argument("--no-isolate", action="store_true")
    args = parser.parse_args()
    zygote = Zygote(args.preload, slot=400, isolate=False if args.no_isolate else None)
    try:
        times = asyncio.run(main(args.n, zygote))
        usage = getattr(zygote, "memory_usage", lambda: None)()
    finally:
        zygote.close()
    print(f"{args.n} kernels (isolate={zygote.isolate}, preload={args.preload}): "
          f"median {statistics.median(times):.3f} s, mean {statistics.mean(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s")
    if usage is not None:
        print(f"memory charged to the slot's cgroup after the last kernel: {usage / 2**20:.1f} MB")

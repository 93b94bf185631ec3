"""``python -m grader review OUT``: mark written answers, question by question.

Without ``--export`` or ``--import`` it serves the review app (``app.py``) on 127.0.0.1 and
prints the one URL to open, with its access token. ``--export`` writes the offline marks
file ``OUT/manual/marks.csv``; ``--import FILE`` applies one (``grader.marksfile``). Marks
are stored in ``OUT/manual`` (``grader.manual``); ``python -m grader report OUT`` (or the
app's "Update gradebook" button) puts them into the gradebook, feedback and summary.
"""
from __future__ import annotations

import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.epilog = ("Exit status: 0 done; 1 an import left rows out (stale or changed "
                     "meanwhile) or the server failed; 2 bad arguments, no results in OUT, "
                     "or an import with errors (then nothing is applied).")
    parser.add_argument("out", type=Path, metavar="OUT",
                        help="an output folder of `grade` (it holds results/)")
    parser.add_argument("--port", type=int, default=8765,
                        help="port to listen on (default: %(default)s; 0: any free port)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s, this machine only)")
    parser.add_argument("--marker", default=None,
                        help="your name, stored with every mark you give (default: your login)")
    parser.add_argument("--share", metavar="K/N", default=None,
                        help="mark only share K of N: a fixed, balanced part of the "
                             "submissions, the same for every question (e.g. 2/3)")
    parser.add_argument("--show-names", action="store_true",
                        help="show file and student names (default: anonymous ids)")
    parser.add_argument("--export", action="store_true",
                        help="write OUT/manual/marks.csv (one row per submission and written "
                             "question) and exit")
    parser.add_argument("--import", dest="import_file", type=Path, metavar="FILE",
                        help="apply the marks in FILE (the columns of marks.csv) and exit")


def run(args) -> int:
    from ..marksfile import default_marker, export, import_marks
    from .model import parse_share
    out_dir = args.out
    if not (out_dir / "results").is_dir():
        print(f"error: {out_dir}: no results folder (grade into it first)", file=sys.stderr)
        return 2
    marker = args.marker or default_marker()
    if args.export and args.import_file:
        print("error: give --export or --import, not both", file=sys.stderr)
        return 2
    if args.export:
        path = export(out_dir)
        print(f"wrote {path}")
        return 0
    if args.import_file:
        done = import_marks(out_dir, args.import_file, marker)
        for line in done.errors:
            print(f"error: {line}", file=sys.stderr)
        if done.errors:
            print("nothing was imported: fix the rows above and import again", file=sys.stderr)
            return 2
        for line in done.stale + done.conflicts:
            print(f"not applied: {line}", file=sys.stderr)
        print(f"imported {done.applied} mark(s); {done.unchanged} unchanged, {done.empty} "
              f"without points (left as they were), "
              f"{len(done.stale) + len(done.conflicts)} not applied")
        print(f"next: python -m grader report {out_dir}")
        return 1 if done.stale or done.conflicts else 0
    try:
        share = parse_share(args.share)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return serve(out_dir, marker, share, args.show_names, args.host, args.port)


def serve(out_dir, marker, share, show_names, host, port) -> int:
    import asyncio
    import signal

    import tornado.httpserver
    import tornado.netutil

    from .app import make_app
    from .model import Review
    review = Review(out_dir, marker, share, show_names)
    if not review.questions:
        print(f"error: {out_dir}: no written answers in the results (grade with a spec that "
              "has written questions)", file=sys.stderr)
        return 2
    try:
        sockets = tornado.netutil.bind_sockets(port, host)
    except OSError as error:
        print(f"error: cannot listen on {host}:{port} ({error.strerror}); try --port 0",
              file=sys.stderr)
        return 2
    port = sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    hosts = {f"{shown}:{port}"} | ({f"localhost:{port}"} if host in ("127.0.0.1", "::1")
                                   else set())
    app = make_app(review, port, hosts=hosts)

    async def main():
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        count = sum(len(review.items(tag)) for tag in review.questions)
        print(f"reviewing {len(review.results)} submission(s), {count} answer(s) in "
              f"{len(review.questions)} question(s) as {marker}"
              + (f", share {share[0]}/{share[1]}" if share != (1, 1) else ""))
        print("open this URL in your browser (it holds your access token; Ctrl-C stops):")
        print(f"    http://{shown}:{port}/?token={app.settings['token']}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        server.stop()
    asyncio.run(main())
    print(f"stopped; every mark is saved. Next: python -m grader report {out_dir}")
    return 0

"""``summary.md`` and ``summary.png``: the class at a glance, for the instructor.

Totals include the manual points of marked written answers; per task and per written
question, the mean points (a written question's mean is over the answers that have points:
marked, or not answered and so 0).
"""
from __future__ import annotations

import io
import math
import statistics
from pathlib import Path

from ..result import Status, SubmissionResult
from .files import as_result, atomic_write
from .text import MARKDOWN, by_assignment, fmt, task_tags, written_tags


def _title(results: list[SubmissionResult]) -> str:
    numbers = sorted({r.assignment for r in results} - {None})
    graded = sum(r.status is Status.GRADED for r in results)
    which = (f"Assignment {numbers[0]}" if len(numbers) == 1
             else "Assignments " + ", ".join(map(str, numbers)) if numbers
             else "No assignment")
    return f"{which}: {graded} graded of N = {len(results)} submissions"


def task_stats(graded) -> dict:
    """Per task tag: title, max, mean points, full-marks rate and mean of points/max."""
    graded = [as_result(r) for r in graded]
    stats = {}
    for tag in task_tags(graded):
        tasks = [r.tasks[tag] for r in graded if tag in r.tasks]
        points = [t.points for t in tasks]
        maxima = [t.max for t in tasks]
        stats[tag] = {
            "title": tasks[0].title, "max": max(maxima), "mean": statistics.fmean(points),
            "full": statistics.fmean(p >= m for p, m in zip(points, maxima)),
            "rate": statistics.fmean(p / m if m else 0.0 for p, m in zip(points, maxima))}
    return stats


def written_stats(graded: list[SubmissionResult]) -> dict:
    """Per written question: title, max, how many answers there are and how many have points,
    and the mean points and mean points/max of those (None while none has points)."""
    stats = {}
    for tag in written_tags(graded):
        answers = [r.written[tag] for r in graded if tag in r.written]
        scored = [a for a in answers if a.points is not None]
        stats[tag] = {
            "title": answers[0].title, "max": max(a.max for a in answers),
            "count": len(answers), "marked": len(scored),
            "pending": sum(a.state in (Status.PENDING, Status.STALE) for a in answers),
            "mean": statistics.fmean(a.points for a in scored) if scored else None,
            "rate": statistics.fmean(a.points / a.max if a.max else 0.0 for a in scored)
            if scored else 0.0}
    return stats


def _plot(results: list[SubmissionResult]) -> bytes:
    from matplotlib.figure import Figure  # here: grading workers import the reports too
    graded = [r for r in results if r.status is Status.GRADED]
    groups = by_assignment(graded)
    stats = {**task_stats(graded), **written_stats(graded)}
    fig = Figure(figsize=(11, max(4.5, 1.8 + 0.32 * len(stats))), layout="constrained")
    hist, bars = fig.subplots(1, 2, width_ratios=[1, 1.15])
    fig.suptitle(_title(results), fontsize=13, fontweight="bold")
    colours = {a: f"C{i}" for i, a in enumerate(groups)}
    _plot_totals(hist, groups, colours)
    _plot_tasks(bars, graded, stats, colours)
    buffer = io.BytesIO()
    # No "Software" entry: the PNG should not change with the matplotlib version.
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _plot_totals(ax, groups, colours) -> None:
    ax.set_title("Totals (graded submissions)")
    if not groups:
        ax.text(0.5, 0.5, "no graded submissions", ha="center", va="center",
                transform=ax.transAxes, color="0.4")
        ax.set_axis_off()
        return
    maxima = {r.max for rs in groups.values() for r in rs}
    common = maxima.pop() if len(maxima) == 1 else 0.0
    # One common maximum: plot points. Assignments of different size: plot % of max.
    if common > 0:
        top, label = common, "total points"
        value = lambda r: r.total
    else:
        top, label = 100.0, "total (% of maximum)"
        value = lambda r: 100 * r.total / (r.max or 1)
    values = [[value(r) for r in rs] for rs in groups.values()]
    # About 20 bars of a whole number of points, centred on their value, so that a small
    # maximum (say 7) gets one bar per point and full marks get a bar of their own.
    step = max(1, math.ceil(top / 20))
    edges = [step * (i - 0.5) for i in range(math.ceil(top / step) + 2)]
    ax.hist(values, bins=edges, stacked=True,
            color=[colours[a] for a in groups], edgecolor="white",
            label=[f"Assignment {a}" if a is not None else "unknown" for a in groups])
    everything = [v for vs in values for v in vs]
    median = statistics.median(everything)
    ax.axvline(median, color="0.2", linestyle="--", linewidth=1,
               label=f"median {fmt(median, 1)}")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(label)
    ax.set_ylabel("submissions")
    from matplotlib.ticker import MaxNLocator
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=9, loc="upper left")


def _plot_tasks(ax, graded, stats, colours) -> None:
    ax.set_title("Average score per task (points / max)")
    if not stats:
        ax.set_axis_off()
        return
    owner = {}
    for r in graded:                       # which assignment a tag belongs to, for colour
        for tag in [*r.tasks, *r.written]:
            owner.setdefault(tag, r.assignment)
    tags = list(stats)
    rates = [stats[t]["rate"] for t in tags]
    rows = range(len(tags))
    ax.barh(rows, rates, color=[colours[owner[t]] for t in tags], height=0.7)
    for row, rate in zip(rows, rates):
        ax.text(min(rate, 1) + 0.01, row, f"{rate:.0%}", va="center", fontsize=8)
    ax.set_yticks(list(rows), [_short(f"{t}: {stats[t]['title']}") for t in tags], fontsize=8)
    # Spec order from the top; room for at least 6 bars so a few do not look bloated.
    ax.set_ylim(max(len(tags), 6) - 0.5, -0.5)
    ax.set_xlim(0, 1.1)
    from matplotlib.ticker import PercentFormatter
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="x", color="0.85")
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def _short(text: str, width=38) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _group_stats(graded: list[SubmissionResult]) -> dict:
    totals = [r.total for r in graded]
    return {"graded": graded, "max": fmt(max(r.max for r in graded)),
            "mean": fmt(statistics.fmean(totals), 2), "median": fmt(statistics.median(totals), 2),
            "min": fmt(min(totals)), "top": fmt(max(totals)), "tasks": task_stats(graded),
            "written": written_stats(graded)}


def write_summary(results, out_dir, skipped=()) -> list[Path]:
    out_dir = Path(out_dir)
    results = sorted((as_result(r) for r in results), key=lambda r: r.file)
    graded = [r for r in results if r.status is Status.GRADED]
    stale = [(r.file, tag) for r in graded for tag, a in r.written.items()
             if a.state is Status.STALE]
    text = MARKDOWN.get_template("summary.md.j2").render(
        title=_title(results), results=results, graded=graded,
        skipped=[(Path(path).name, reason) for path, reason in skipped],  # no abs. paths
        rejected=[r for r in results if r.status is Status.REJECTED],
        flagged=[r for r in results if r.flags], stale=stale,
        pending=sum(s["pending"] for s in written_stats(graded).values()),
        has_written=any(r.written for r in graded),
        groups={a: _group_stats(rs) for a, rs in by_assignment(graded).items()})
    return [atomic_write(out_dir / "summary.png", _plot(results)),
            atomic_write(out_dir / "summary.md", text.encode())]

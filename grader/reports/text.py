"""Formatting shared by the reports: points as text, tag order, spreadsheet and Markdown
escaping, and the two jinja2 environments (HTML, autoescaped; Markdown, escaped by
``md_escape`` on every ``{{ }}``) that load the templates in ``templates/``."""
from __future__ import annotations

import re
from pathlib import Path

import jinja2
import markupsafe

from ..result import SubmissionResult, question_order

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt(x, digits=4) -> str:
    """Points as short, stable text: 87, 87.5, 0.3333 (no float noise, no -0)."""
    if x is None:
        return ""
    return format(round(float(x), digits) + 0.0, ".10g")   # + 0.0 turns -0.0 into 0.0


def assignment_key(number):
    return (number is None, number or 0)        # unknown assignment last


def by_assignment(results: list[SubmissionResult]) -> dict:
    groups: dict = {}
    for result in sorted(results, key=lambda r: assignment_key(r.assignment)):
        groups.setdefault(result.assignment, []).append(result)
    return groups


def task_tags(results: list[SubmissionResult]) -> list[str]:
    """Union of task tags in spec order: task_1_2 before task_1_10 (result files store
    their tasks with sorted keys, which would put 10 before 2)."""
    return sorted({tag for result in results for tag in result.tasks}, key=question_order)


def written_tags(results: list[SubmissionResult]) -> list[str]:
    """Union of written questions' tags, in question order (answer_1_2 before answer_1_10)."""
    return sorted({tag for result in results for tag in result.written}, key=question_order)


def csv_cell(text) -> str:
    """Student-controlled text for a spreadsheet: a leading = + - @ would make Excel or
    LibreOffice run it as a formula (CSV injection), so such text gets a quote in front."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def sentence(text: str) -> str:
    """End ``text`` with a full stop unless it already ends a sentence ("True or false?")."""
    return text if text.endswith((".", "?", "!")) else text + "."


def code_spans(text) -> markupsafe.Markup:
    """HTML-escape ``text``, then show its `backtick` spans as <code> (already escaped)."""
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")


def md_escape(value):
    """Make any text inert in Markdown: keep `code` spans (nothing inside them is
    interpreted), backslash-escape markup characters elsewhere, and fold line breaks so a
    message cannot start a heading, list or table row of its own."""
    if isinstance(value, markupsafe.Markup):       # already made safe by md_code
        return value
    text = " ".join(str(value).split())
    parts = re.split(r"(`[^`]+`)", text)
    return "".join(part if i % 2 else _MD_SPECIAL.sub(r"\\\1", part)
                   for i, part in enumerate(parts))


def md_code(value):
    """Show a tag or file name as a Markdown code span (inert), if it fits in one."""
    text = " ".join(str(value).split())
    return markupsafe.Markup(f"`{text}`") if text and "`" not in text else md_escape(text)


_LOADER = jinja2.FileSystemLoader(str(TEMPLATES))
# Lenient about missing fields (the default Undefined): one odd result must not stop
# the feedback for the whole class.
HTML = jinja2.Environment(loader=_LOADER, autoescape=True, trim_blocks=True,
                          lstrip_blocks=True)
HTML.filters.update(code=code_spans, fmt=fmt)
# Markdown: every {{ }} goes through md_escape (finalize), so nothing is emitted raw.
MARKDOWN = jinja2.Environment(loader=_LOADER, autoescape=False, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True,
                              finalize=md_escape)
MARKDOWN.filters.update(fmt=fmt, code=md_code)

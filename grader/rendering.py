"""Markdown from students, made safe: HTML for a marker's browser and plain text for files.

Student answers are untrusted. They are rendered by mistune with raw HTML *escaped* (a
``<script>`` shows as text), then cleaned by bleach against an allow-list of the tags and
attributes Markdown itself produces, so even a mistake in the renderer cannot smuggle in a
script, an event handler or a ``style``. Links keep only http, https and mailto targets and
open nothing in the marker's window; images are never loaded (a remote image would tell its
owner when and from where an answer was read): they become a short text placeholder.

Math is left as TeX inside ``<span class="math">\\(...\\)</span>`` and
``<div class="math">$$...$$</div>`` (mistune's math plugin); the review app typesets those
with its bundled KaTeX, in the browser, with KaTeX's ``trust`` off.
"""
from __future__ import annotations

import html
import re

import bleach
import mistune

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a",
    "span", "div"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel", "target"], "span": ["class"],
                      "div": ["class"], "th": ["align"], "td": ["align"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
MAX_INPUT = 50_000          # characters rendered per text (results clip answers before this)


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML, except that images are not loaded and links cannot reach back."""

    def image(self, text: str, url: str, title: str | None = None) -> str:
        where = "an attachment of the notebook" if url.startswith("attachment:") else "a link"
        label = html.escape(text or "no description")
        return f'<span class="image-placeholder">[image: {label}; {where}, not shown]</span>'

    def link(self, text: str, url: str, title: str | None = None) -> str:
        # rel: the target gets no Referer and no handle on the review app's window
        title_attr = f' title="{html.escape(title)}"' if title else ""
        return (f'<a href="{self.safe_url(url)}"{title_attr} rel="noopener noreferrer nofollow"'
                f' target="_blank">{text}</a>')


_MARKDOWN = mistune.create_markdown(escape=True, renderer=_Renderer(escape=True),
                                    plugins=["math", "table", "strikethrough"])
_CLEANER = bleach.sanitizer.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                                    protocols=ALLOWED_PROTOCOLS, strip=True,
                                    strip_comments=True)
_CLASSES = re.compile(r'class="(?!(?:math|image-placeholder)")[^"]*"')


def to_html(markdown: str) -> str:
    """Safe HTML for ``markdown`` (untrusted): nothing in it runs or loads anything."""
    rendered = _MARKDOWN(str(markdown)[:MAX_INPUT])
    return _CLASSES.sub("", _CLEANER.clean(rendered))


def to_text(markdown: str) -> str:
    """What a reader of ``markdown`` sees, as plain text: markup gone, math kept as TeX,
    paragraphs separated by a blank line."""
    rendered = _MARKDOWN(str(markdown)[:MAX_INPUT])
    rendered = re.sub(r"</(p|div|li|h\d|blockquote|pre|tr)>", "\n\n", rendered)
    text = html.unescape(bleach.clean(rendered, tags=set(), strip=True))
    text = text.replace("\\(", "$").replace("\\)", "$")
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)

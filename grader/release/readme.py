"""The README's "Open in Colab" and Binder links, made from one line naming the repository.

The README's student section holds a line ``Course repository: `OWNER/NAME` `` (optionally
followed by `` (branch `main`)``); release rewrites the block between the LINKS markers from
it, so a course that forks the repository edits that one line and runs ``make release``.
"""
import re
from pathlib import Path

REPOSITORY = re.compile(r"^Course repository: `([\w.-]+/[\w.-]+)`(?: \(branch `([\w./-]+)`\))?",
                        re.M)
BEGIN, END = "<!-- BEGIN LINKS", "<!-- END LINKS -->"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def links_block(repository: str, branch: str, notebooks: list[str]) -> str:
    """The generated block, markers included, for notebook file names ``notebooks``."""
    colab = f"https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks"
    binder = f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/notebooks"
    rows = [f"{BEGIN} (written by `python -m grader release` from the line above) -->",
            "| Notebook | Colab | Binder |", "|---|---|---|"]
    for name in notebooks:
        rows.append(f"| [{Path(name).stem}](notebooks/{name}) "
                    f"| [![Open in Colab]({COLAB_BADGE})]({colab}/{name}) "
                    f"| [![Binder]({BINDER_BADGE})]({binder}/{name}) |")
    rows += ["", f"All notebooks in one Binder session: [![Binder]({BINDER_BADGE})]({binder})",
             END]
    return "\n".join(rows)


def sync(readme: str | Path, notebooks: list[str], check: bool = False) -> list[str]:
    """Rewrite (or with ``check``, compare) the links block; returns the problems."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8")
    found = REPOSITORY.search(text)
    if not found or BEGIN not in text or END not in text:
        return [f"{readme.name}: no 'Course repository: `OWNER/NAME`' line or no LINKS block"]
    start, end = text.index(BEGIN), text.index(END) + len(END)
    wanted = text[:start] + links_block(found[1], found[2] or "main", notebooks) + text[end:]
    if wanted == text:
        return []
    if check:
        return [f"{readme.name}: the notebook links are out of date"]
    readme.write_text(wanted, encoding="utf-8")
    return []

"""Find what to grade: the notebooks named on the command line, the name each one's results
are recorded under, and which older submissions a newer one of the same student replaces.

* **Folders are searched recursively** (LMS bulk downloads put one folder per student).
  Hidden folders (``.git``, ``.ipynb_checkpoints``, ...) and macOS's ``__MACOSX`` are skipped,
  and so are hidden files (``._A1.ipynb`` is macOS metadata, not a notebook). Links to folders
  are not followed (they could lead anywhere); each is named in ``notes``. Everything else
  called ``*.ipynb`` is kept, even a broken link or a named pipe: grading rejects it with a
  reason in the gradebook instead of skipping it unseen.
* **Names.** A submission is recorded under its path relative to the folder given
  (``ada/A1.ipynb``), a file given directly under its own name. Report file names are made
  from that (``report._stem``), so two ``A1.ipynb`` in two student folders never collide.
* **Superseded submissions.** When one matriculation number has several notebooks for one
  assignment (a re-download ``... (1).ipynb``, a resubmission ``...-1.ipynb``, a copy in
  another folder), only the newest is graded: the latest modification time (for an LMS
  download, the submission time the LMS gives), and on a tie the name that sorts last. The
  others are listed as superseded in the gradebook, and the graded one is flagged.
* **LMS downloads** (a zip, a folder laid out as a Moodle or Canvas download, or any path
  when LMS options are given) are unpacked by ``grader.lms.ingest`` into a work folder; the
  copies are graded and recorded under their (flat, unique) names there.
"""
from __future__ import annotations

import datetime as dt
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .submission import NAME_RE, NameParts, parse_name

SKIP_FOLDERS = {"__MACOSX"}          # besides every hidden folder


@dataclass
class Item:
    """One submission to grade (or one a newer submission superseded)."""
    path: Path                        # the file to grade
    name: str                         # what its results are recorded under
    parts: NameParts                  # what the file name says
    assignment: int | None = None     # from --assignment, else from the file name
    mtime: float | None = None        # when it was submitted, as far as we can tell
    entry: object | None = None       # grader.lms.Entry for a notebook from an LMS download
    superseded: list["Item"] = field(default_factory=list)   # older ones this one replaces
    newer: "Item | None" = None       # the newer submission that replaces this one

    def person(self) -> tuple | None:
        """Who submitted it, as a key to find several submissions of one student."""
        entry = self.entry
        if entry is not None:
            if entry.lms != "plain" and entry.lms_id:
                return (entry.lms, entry.lms_id)
            matriculation = entry.student.matriculation
        else:
            matriculation = self.parts.matriculation
        return ("matriculation", matriculation) if matriculation else None

    def identity(self) -> dict:
        """Name and matriculation number, for the gradebook's superseded rows."""
        if self.entry is not None:
            return {"name": self.entry.student.name,
                    "matriculation": self.entry.student.matriculation}
        return {"name": self.parts.name, "matriculation": self.parts.matriculation}

    def modified(self) -> str | None:
        if self.mtime is None:
            return None
        return dt.datetime.fromtimestamp(self.mtime, dt.timezone.utc).isoformat(
            timespec="seconds")


def _hidden(name: str) -> bool:
    return name.startswith(".") or name in SKIP_FOLDERS


def find_notebooks(paths: list[Path], exclude: list[Path] = (),
                   assignment: int | None = None) -> tuple[list[Item], list[str]]:
    """The notebooks named by ``paths`` (files, or folders searched recursively), sorted by
    name, and notes on what was left out. Raises FileNotFoundError for a path that does not
    exist, ValueError when two submissions would be recorded under one name."""
    excluded = {p.resolve() for p in exclude}
    found: list[tuple[Path, str, Path]] = []     # (file, name, the argument it came from)
    notes: list[str] = []
    for given in paths:
        if given.is_dir():
            for folder, dirs, files in os.walk(given, followlinks=False):
                here = Path(folder)
                keep = []
                for name in sorted(dirs):
                    sub = here / name
                    if _hidden(name) or sub.resolve() in excluded:
                        continue
                    if sub.is_symlink():
                        notes.append(f"not followed: {sub} (a link to a folder)")
                        continue
                    keep.append(name)
                dirs[:] = keep
                for name in sorted(files):
                    if name.endswith(".ipynb") and not _hidden(name):
                        path = here / name
                        found.append((path, path.relative_to(given).as_posix(), given))
        elif given.exists() or given.is_symlink():
            found.append((given, given.name, given.parent))
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    seen, items, names = set(), [], {}
    for path, name, given in found:
        key = os.path.abspath(path)
        if key in seen:                          # the same file named twice
            continue
        seen.add(key)
        names.setdefault(name, []).append((path, given))
    for name, group in names.items():
        for path, given in group:
            # two arguments with a file of the same relative name: say which argument
            label = name if len(group) == 1 else f"{given.resolve().name}/{name}"
            items.append(_item(path, label, assignment))
    labels = [i.name for i in items]
    if len(set(labels)) != len(labels):
        twice = sorted({n for n in labels if labels.count(n) > 1})[0]
        raise ValueError(f"two submissions would both be recorded as {twice}; "
                         "grade them in separate runs")
    return sorted(items, key=lambda i: i.name), notes


def collect(paths: list[Path]) -> list[Path]:
    """The notebook files that ``grade`` would find in ``paths``, sorted by their names."""
    return [item.path for item in find_notebooks(list(paths))[0]]


def _item(path: Path, name: str, assignment: int | None) -> Item:
    parts = parse_name(path.name)
    try:
        mtime = os.lstat(path).st_mtime
    except OSError:
        mtime = None
    return Item(path, name, parts, assignment if assignment is not None else parts.number,
                mtime)


def from_ingest(found, assignment: int | None = None) -> list[Item]:
    """Items for the entries of an LMS ingest (``grader.lms.Ingest``)."""
    items = []
    for entry in found.entries:
        when = entry.submitted.timestamp() if entry.submitted is not None else None
        parts = parse_name(entry.original_name)
        items.append(Item(entry.path, entry.path.name, parts,
                          assignment if assignment is not None else entry.file_assignment,
                          when, entry))
    return sorted(items, key=lambda i: i.name)


def is_lms_download(path: Path) -> bool:
    """A zip, or a folder laid out as Moodle's or Canvas's "download all submissions"."""
    from .lms.intake import CANVAS, MOODLE_FLAT, MOODLE_FOLDER
    if path.is_file():
        suffix = path.suffix.lower()
        return suffix == ".zip" or (suffix != ".ipynb" and zipfile.is_zipfile(path))
    if not path.is_dir():
        return False
    notebooks = []
    for folder, dirs, files in os.walk(path, followlinks=False):
        if any(MOODLE_FOLDER.match(d) for d in dirs) or any(MOODLE_FLAT.match(f) for f in files):
            return True
        dirs[:] = [d for d in dirs if not _hidden(d)]
        notebooks += [f for f in files if f.endswith(".ipynb") and not _hidden(f)]
    # Canvas renames every file "<name>_<user id>_<file id>_<file>"; one plain file that
    # happens to fit that pattern must not turn a class folder into a Canvas download
    return bool(notebooks) and all(CANVAS.match(f) and not NAME_RE.match(f) for f in notebooks)


def mark_superseded(items: list[Item]) -> tuple[list[Item], list[Item]]:
    """``(to grade, superseded)``: of several submissions of one student for one assignment,
    the newest is graded and remembers the others. For an LMS download the LMS's submission
    time decides; where it is unknown or the same for all (a Moodle participant who uploaded
    two notebooks), every one is graded and ingest's flag says so."""
    groups: dict[tuple, list[Item]] = {}
    for item in items:
        if (person := item.person()) is not None:
            groups.setdefault((item.assignment, person), []).append(item)
    superseded = []
    for group in groups.values():
        if len(group) < 2:
            continue
        lms = group[0].entry is not None
        times = [i.mtime for i in group]
        if lms and (None in times or times.count(max(times)) > 1):
            continue
        order = sorted(group, key=lambda i: (i.mtime if i.mtime is not None else float("-inf"),
                                             i.name))
        newest, older = order[-1], order[:-1]
        newest.superseded = older
        for item in older:
            item.newer = newest
        superseded += older
        if lms:   # ingest said "each is graded"; no longer true
            newest.entry.flags = [f for f in newest.entry.flags
                                  if not f.endswith("; each is graded")]
    keep = [i for i in items if i.newer is None]
    return keep, sorted(superseded, key=lambda i: i.name)

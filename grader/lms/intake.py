"""Turn an LMS download into notebooks to grade, each with who submitted it and when.

    found = ingest([Path("moodle.zip")], Path("graded/submissions"),
                   roster=Path("roster.csv"), worksheet=Path("worksheet.csv"))
    for entry in found.entries: ...      # entry.path is the copy to grade

Layouts recognised, file by file (a download may even mix them):

* Moodle, "Download all submissions": one folder per participant,
  ``<Full Name>_<participant id>_assignsubmission_file/`` (Moodle 4.1 and later) or with a
  trailing ``_`` (3.1 to 4.0), holding the student's files, possibly in sub-folders; or,
  with "download submissions in folders" off, files named
  ``<Full Name>_<participant id>_assignsubmission_file_<file name>``. Moodle replaces
  ``_`` in names by spaces, so the first ``_<digits>_`` ends the name.
* Canvas, "Download Submissions": files renamed to
  ``<lastnamefirstname>[_LATE]_<user id>_<attachment id>_<file name>`` (``anon_<id>`` instead
  of name and user id when the assignment is anonymous). A resubmitted file is renamed by
  Canvas to ``<file name>-1.ipynb``, ``-2`` and so on; that suffix is removed again.
* Anything else: a plain ``Assignment_N_NameSurname_12345678.ipynb``.

Identity: the LMS's is authoritative (anyone can type any name into a file name). A result
is recorded under the LMS participant (via the roster when one is given); a file name that
names someone else is flagged, never trusted. Without an LMS the file name is all there is.

Submission times: Moodle's grading worksheet (``--worksheet``) for Moodle, the zip entry
time or file modification time for plain downloads. Not for LMS zips: Moodle and Canvas
both write the time of the *download* into their zip entries, so those would make every
submission look late. A Canvas download carries only the ``LATE`` marker.

The copies are written flat into the work folder under the student's own file name (made
unique when two collide), next to ``ingest.json``, which records every entry, every file
that was skipped and why, and every student with no submission. Running ingest again into
the same folder replaces what the previous run wrote there and nothing else.

Sources for the layouts (the LMSs' own code): Moodle ``mod/assign/classes/downloader.php``
(4.1+) and ``download_submissions`` in ``mod/assign/locallib.php`` (earlier), Moodle
``lib/classes/local/archive_writer/zip_writer.php`` (entry times); Canvas
``lib/content_zipper.rb`` (``get_filename``, ``add_upload_submission``) and
``Attachment.make_unique_filename`` in ``app/models/attachment.rb`` (the ``-1`` suffix).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from ..files import atomic_write as _atomic_write
from ..submission import NAME_RE
from .archive import Download, IngestError, Limits, Member, Skipped, read_member
from .sheets import Roster, RosterStudent, Worksheet

MANIFEST = "ingest.json"
MANIFEST_SCHEMA = "nncourse-ingest/1"

MOODLE_FOLDER = re.compile(
    r"^(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_?$")
MOODLE_FLAT = re.compile(
    r"^(?P<name>[^_]*)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_(?P<file>.+)$")
# Canvas lower-cases names, so an upper-case LATE is always its marker.
CANVAS = re.compile(r"^(?:(?P<late_only>LATE)_|(?P<name>\w*?)(?P<late>_LATE)?_)?"
                    r"(?P<user>anon_[A-Za-z0-9]+|\d+)_(?P<file_id>\d+)_(?P<file>.+)$")
CANVAS_COPY = re.compile(r"-(\d+)(\.ipynb)$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """Who a submission is recorded under."""
    name: str | None
    matriculation: str | None
    email: str | None
    lms_id: str | None
    source: str                              # "roster", "LMS" or "file name"
    deadline: dt.datetime | None = None      # the roster's per-student deadline, if any


@dataclass
class Entry:
    """One notebook from a download, ready to grade."""
    path: Path                   # the copy to grade, in the work folder
    source: str                  # "<download>:<path inside it>", as the LMS named it
    original_name: str           # the student's file name (LMS prefix and -N suffix removed)
    lms: str                     # "moodle", "canvas" or "plain"
    lms_id: str | None           # Moodle participant id, Canvas user id (or anon_...)
    lms_file_id: str | None      # Canvas attachment id
    lms_name: str | None         # the name the LMS gives (worksheet, folder or file prefix)
    email: str | None            # from the worksheet or the roster
    folder: str | None           # Moodle's participant folder (for the feedback zip)
    file_name: str | None        # NameSurname as typed into the file name
    file_matriculation: str | None
    file_assignment: int | None
    student: Identity
    submitted: dt.datetime | None       # naive when the source has no time zone
    submitted_source: str               # where ``submitted`` came from, or why it is unknown
    late_marker: bool = False           # Canvas: _LATE_ in the file name
    resubmission: int | None = None     # Canvas: the -N it added
    sha256: str = ""
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = self.path.name
        data["submitted"] = _iso(self.submitted)
        data["student"]["deadline"] = _iso(self.student.deadline)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], workdir: Path) -> "Entry":
        data = dict(data)
        student = dict(data.pop("student"))
        student["deadline"] = _from_iso(student.get("deadline"))
        return cls(**{**data, "path": Path(workdir) / data["path"],
                      "submitted": _from_iso(data.get("submitted")),
                      "student": Identity(**student)})


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


@dataclass
class Ingest:
    """What ``ingest`` found: entries to grade, files skipped, students with no submission."""
    workdir: Path
    entries: list[Entry]
    skipped: list[Skipped]
    missing: list[Identity]

    def lines(self) -> list[str]:
        """A short report for the console."""
        out = [f"{len(self.entries)} notebook(s) to grade in {self.workdir}"]
        out += [f"skipped: {s.path}: {s.reason}" for s in self.skipped]
        out += [f"flag: {e.path.name}: {flag}" for e in self.entries for flag in e.flags]
        out += [f"missing: {_who(m)}: no submission" for m in self.missing]
        return out


def _who(person: Identity | RosterStudent) -> str:
    bits = [person.name or "(no name)"]
    bits += [person.matriculation] if person.matriculation else []
    bits += [person.email] if person.email else []
    return ", ".join(bits)


# ---------------------------------------------------------------- names

def _folds(text: str) -> set[str]:
    """``text`` as bare lowercase letters, with and without German transliteration
    (Müller = Muller = Mueller), so names typed differently still compare equal."""
    base = unicodedata.normalize("NFC", text.casefold())
    variants = {base, base.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")}
    return {"".join(c for c in unicodedata.normalize("NFKD", v)
                    if c.isalpha() and not unicodedata.combining(c)) for v in variants}


def names_agree(file_name: str, lms_name: str) -> bool:
    """Does ``AdaLovelace`` (from a file name) name the person the LMS calls ``lms_name``?
    Moodle gives ``Ada King Lovelace``: each part of the file name must be one of its words.
    Canvas gives ``lovelaceada`` (no spaces): each part must occur in it."""
    upper = "A-ZÀ-ÖØ-Þ"          # CamelCase parts: AdaLovelace -> Ada, Lovelace
    parts = re.findall(rf"[{upper}]?[^{upper}\W\d_]+|[{upper}]+", file_name) or [file_name]
    words = [w for w in re.split(r"[\s,.'’-]+", lms_name) if w]
    if not words:
        return False
    if len(words) > 1:
        folded = [_folds(w) for w in words]
        if all(any(_folds(p) & f for f in folded) for p in parts):
            return True
        # "MaryAnn" typed for "Mary Ann": compare the letters as a whole
        return bool(_folds("".join(parts)) & _folds("".join(words)))
    whole = _folds(words[0])
    return all(any(v and v in w for v in _folds(p) for w in whole) for p in parts)


# ---------------------------------------------------------------- layouts

@dataclass
class _Found:
    member: Member
    download: Download
    lms: str
    original_name: str
    lms_id: str | None = None
    lms_file_id: str | None = None
    lms_name: str | None = None
    folder: str | None = None
    late_marker: bool = False
    resubmission: int | None = None


def _layout(member: Member, download: Download) -> _Found:
    parts = PurePosixPath(member.path).parts
    for index, part in enumerate(parts[:-1]):
        if m := MOODLE_FOLDER.match(part):
            return _Found(member, download, "moodle", parts[-1], m["id"], None,
                          m["name"].strip() or None, part)
    name = parts[-1]
    if NAME_RE.match(name):
        return _Found(member, download, "plain", name)
    if m := MOODLE_FLAT.match(name):
        return _Found(member, download, "moodle", m["file"], m["id"], None,
                      m["name"].strip() or None, f"{m['name']}_{m['id']}_assignsubmission_file")
    if m := CANVAS.match(name):
        original, resubmission = m["file"], None
        if copy := CANVAS_COPY.search(original):
            original = original[:copy.start()] + copy.group(2)
            resubmission = int(copy.group(1))
        return _Found(member, download, "canvas", original, m["user"], m["file_id"],
                      m["name"] or None, None, bool(m["late"] or m["late_only"]), resubmission)
    return _Found(member, download, "plain", name)


def _when(found: _Found, worksheet: Worksheet | None) -> tuple[dt.datetime | None, str]:
    if found.lms == "moodle":
        if worksheet is None:
            return None, ("unknown: no --worksheet given (Moodle's zip holds the time of "
                          "the download, not of the submission)")
        row = worksheet.rows.get(found.lms_id or "")
        if row is None:
            return None, f"unknown: participant {found.lms_id} is not in the grading worksheet"
        if row.submitted is None:
            return None, "unknown: the grading worksheet gives no submission time"
        return row.submitted, "Moodle grading worksheet"
    if found.lms == "canvas":
        return None, "unknown: a Canvas download has no submission times (only LATE marks)"
    if found.member.mtime is not None:
        return found.member.mtime, "file modification time"
    return found.member.zip_time, "zip entry time"


def _identify(found: _Found, worksheet: Worksheet | None,
              roster: Roster | None) -> tuple[Identity, str | None, str | None, list[str]]:
    """(identity, LMS name, email, flags) for one file."""
    flags: list[str] = []
    match = NAME_RE.match(found.original_name)
    file_name, file_matr = (match.group(2), match.group(3)) if match else (None, None)
    row = worksheet.rows.get(found.lms_id or "") if worksheet and found.lms == "moodle" else None
    lms_name = (row.name if row and row.name else None) or found.lms_name
    email = row.email if row else None
    if found.lms == "plain":
        person = roster.by("matriculation", file_matr) if roster else None
        if roster and file_matr and person is None:
            flags.append(f"matriculation number {file_matr} is not in the roster")
        if person:
            return (Identity(person.name or file_name, person.matriculation, person.email,
                             person.lms_id, "roster", person.deadline), None, person.email, flags)
        return Identity(file_name, file_matr, None, None, "file name"), None, None, flags

    what = f"{'participant' if found.lms == 'moodle' else 'Canvas user'} {found.lms_id}"
    person = None
    if roster:
        person = roster.by("lms_id", found.lms_id) or roster.by("email", email)
        if person is None:
            flags.append(f"{lms_name or what} ({what}) is not in the roster")
    name = (person.name if person and person.name else None) or lms_name
    if person:
        matriculation = person.matriculation
        named = roster.by("matriculation", file_matr) if file_matr else None
        if file_matr and file_matr != person.matriculation:
            other = (f"{named.name or 'someone else'} in the roster" if named
                     else "not in the roster")
            flags.append(f"the file name gives matriculation number {file_matr} ({other}), but "
                         f"the LMS says {name} ({what}) submitted it; recorded under {name}")
        elif file_name and name and not names_agree(file_name, name):
            flags.append(f"the file name says {file_name}, but the LMS says {name} ({what}) "
                         f"submitted it; recorded under {name}")
        return (Identity(name, matriculation, person.email or email, found.lms_id, "roster",
                         person.deadline), lms_name, person.email or email, flags)
    agree = not file_name or not lms_name or names_agree(file_name, lms_name)
    if not agree:
        flags.append(f"the file name says {file_name} ({file_matr or 'no matriculation number'})"
                     f", but the LMS says {lms_name} ({what}) submitted it; recorded under "
                     f"{lms_name}")
    # The file's matriculation number is kept only when its name agrees with the LMS.
    return (Identity(name, file_matr if agree else None, email, found.lms_id, "LMS"),
            lms_name, email, flags)


# ---------------------------------------------------------------- copy names

def _safe_name(name: str) -> str:
    """The student's file name, fit to be a file in the work folder: no separators or
    control characters, not hidden, not too long, and ending in ``.ipynb`` (lower case:
    that is what a class folder is searched for)."""
    stem = re.sub(r"[\x00-\x1f/\\]", "_", name[:-len(".ipynb")]).lstrip(". ")
    stem = stem.encode("utf-8")[:170].decode("utf-8", "ignore")   # names stop at 255 bytes
    return (stem or "notebook") + ".ipynb"


def _copy_names(found: list[_Found]) -> tuple[list[str], list[str | None]]:
    """A unique file name per entry (its own where it is unique), and a flag for the
    renamed ones. Case-insensitively unique: the work folder may be on macOS or Windows."""
    wanted = [_safe_name(f.original_name) for f in found]
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(wanted):
        groups.setdefault(name.casefold(), []).append(index)
    names, flags = list(wanted), [None] * len(found)
    for members in groups.values():
        if len(members) == 1:
            continue
        for number, index in enumerate(members, start=1):
            f = found[index]
            tag = f"{f.lms}{f.lms_id}" if f.lms_id else str(number)
            if f.lms_id and sum(found[i].lms_id == f.lms_id for i in members) > 1:
                tag += f"_{number}"       # one participant, two files of the same name
            stem = wanted[index][:-len(".ipynb")]
            names[index] = f"{stem}__{tag}.ipynb"
            flags[index] = (f"{len(members)} files in the download are called {wanted[index]}; "
                            f"this one is graded as {names[index]}")
    return names, flags


# ---------------------------------------------------------------- ingest

def _prepare(workdir: Path) -> set[str]:
    """Make sure ``workdir`` is ours to write; the names a previous ingest left there."""
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / MANIFEST
    if manifest.exists():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if data.get("schema") != MANIFEST_SCHEMA:
                raise ValueError("unknown schema")
            return {Path(e["path"]).name for e in data["entries"]}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IngestError(f"{manifest}: unreadable ({error}); remove the folder "
                              f"{workdir} or choose another") from None
    others = [p.name for p in workdir.iterdir()]
    if others:
        raise IngestError(f"{workdir}: the work folder is not empty and was not made by an "
                          f"earlier ingest (it holds {sorted(others)[0]}); choose an empty one")
    return set()


def ingest(paths: list[Path], workdir: Path, roster: Roster | Path | None = None,
           worksheet: Worksheet | Path | None = None, timezone: dt.tzinfo | None = None,
           limits: Limits = Limits()) -> Ingest:
    """Copy the notebooks of the downloads ``paths`` (zips or folders) into ``workdir`` and
    describe each. Raises :class:`IngestError` (one line) when a download cannot be used."""
    workdir = Path(workdir)
    if isinstance(roster, (str, Path)):
        roster = Roster.load(Path(roster), timezone)
    if isinstance(worksheet, (str, Path)):
        worksheet = Worksheet.load(Path(worksheet))
    previous = _prepare(workdir)
    skipped: list[Skipped] = []
    with contextlib.ExitStack() as stack:
        found: list[_Found] = []
        for path in paths:
            download = stack.enter_context(Download(Path(path), limits, exclude=workdir))
            skipped += download.skipped
            found += [_layout(m, download) for m in download.members]
        found.sort(key=lambda f: (f.lms, f.lms_id or "", f.download.label(f.member.path)))
        names, rename_flags = _copy_names(found)
        # Record the names before writing them, so that a run cut short leaves a folder
        # the next run recognises as its own (and cleans up).
        _write_manifest(Ingest(workdir, [], [], []), extra=sorted(previous | set(names)))
        entries = []
        for f, name, renamed in zip(found, names, rename_flags):
            data, problem = read_member(f.download, f.member)
            if data is None:
                skipped.append(Skipped(f.download.label(f.member.path), problem or "unreadable"))
                continue
            entries.append(_entry(f, workdir / name, data, worksheet, roster, renamed))
    _flag_several(entries)
    missing = _missing(entries, roster, worksheet)
    for stale in previous - {e.path.name for e in entries}:
        (workdir / stale).unlink(missing_ok=True)      # only files an earlier ingest wrote
    result = Ingest(workdir, sorted(entries, key=lambda e: e.path.name),
                    sorted(skipped, key=lambda s: s.path), missing)
    _write_manifest(result)
    return result


def _entry(f: _Found, path: Path, data: bytes, worksheet: Worksheet | None,
           roster: Roster | None, renamed: str | None) -> Entry:
    identity, lms_name, email, flags = _identify(f, worksheet, roster)
    submitted, source = _when(f, worksheet)
    match = NAME_RE.match(f.original_name)
    if not path.exists() or path.read_bytes() != data:   # unchanged copies keep their mtime
        _atomic_write(path, data)
    return Entry(path=path, source=f.download.label(f.member.path),
                 original_name=f.original_name, lms=f.lms, lms_id=f.lms_id,
                 lms_file_id=f.lms_file_id, lms_name=lms_name, email=email, folder=f.folder,
                 file_name=match.group(2) if match else None,
                 file_matriculation=match.group(3) if match else None,
                 file_assignment=int(match.group(1)) if match else None,
                 student=identity, submitted=submitted, submitted_source=source,
                 late_marker=f.late_marker, resubmission=f.resubmission,
                 sha256=hashlib.sha256(data).hexdigest(),
                 flags=flags + ([renamed] if renamed else []))


def _person_key(entry: Entry) -> tuple[str, str] | None:
    if entry.lms != "plain" and entry.lms_id:
        return (entry.lms, entry.lms_id)
    if entry.student.matriculation:
        return ("matriculation", entry.student.matriculation)
    return None


def _flag_several(entries: list[Entry]) -> None:
    """A participant with several notebooks: each is graded; export picks one only when
    that choice is clear, and lists the participant otherwise."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        if (key := _person_key(entry)) is not None:
            groups.setdefault(key, []).append(entry)
    for group in groups.values():
        if len(group) > 1:
            names = ", ".join(sorted(e.original_name for e in group))
            for entry in group:
                entry.flags.append(f"{entry.student.name or 'this student'} submitted "
                                   f"{len(group)} notebooks ({names}); each is graded")


def _missing(entries: list[Entry], roster: Roster | None,
             worksheet: Worksheet | None) -> list[Identity]:
    """Students the roster (or Moodle's worksheet) lists who have no notebook here."""
    have = {(kind, str(value).casefold()) for e in entries for kind, value in
            (("lms_id", e.student.lms_id), ("email", e.student.email),
             ("matriculation", e.student.matriculation)) if value}
    missing = []
    for person in roster.students if roster else []:
        keys = [(k, str(getattr(person, k)).casefold()) for k in ("lms_id", "email",
                                                                  "matriculation")
                if getattr(person, k)]
        if not any(key in have for key in keys):
            missing.append(Identity(person.name, person.matriculation, person.email,
                                    person.lms_id, "roster", person.deadline))
    if worksheet is not None and roster is None:
        for row in worksheet.rows.values():
            if ("lms_id", row.participant) not in have:
                missing.append(Identity(row.name, row.id_number, row.email, row.participant,
                                        "Moodle worksheet"))
    return sorted(missing, key=lambda p: (p.name or "", p.matriculation or "", p.email or ""))


def _write_manifest(found: Ingest, extra: list[str] = ()) -> Path:
    data = {"schema": MANIFEST_SCHEMA, "complete": not extra,
            "entries": [e.to_dict() for e in found.entries] + [{"path": n} for n in extra],
            "skipped": [asdict(s) for s in found.skipped],
            "missing": [{**asdict(m), "deadline": _iso(m.deadline)} for m in found.missing]}
    text = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)
    return _atomic_write(found.workdir / MANIFEST, (text + "\n").encode("utf-8"))


def load_manifest(workdir: Path) -> list[Entry]:
    """The entries an earlier :func:`ingest` recorded in ``workdir`` (to grade them later)."""
    path = Path(workdir) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IngestError(f"{path}: cannot read it ({error})") from None
    if data.get("schema") != MANIFEST_SCHEMA or not data.get("complete"):
        raise IngestError(f"{path}: not the record of a finished ingest; run it again")
    return [Entry.from_dict(e, Path(workdir)) for e in data["entries"]]

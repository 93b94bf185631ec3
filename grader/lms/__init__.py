"""The LMS round trip: from an LMS download to grades and feedback the LMS imports.

Modules (each small, each usable on its own):

    archive.py   read a download (.zip or folder) safely: limits, no path escapes, no links
    intake.py    recognise Moodle / Canvas / plain layouts; who submitted what; copy to grade
    sheets.py    CSVs in the LMS's dialect; the roster; Moodle's grading worksheet
    late.py      deadlines, grace periods and late policies; the penalty for one submission
    results.py   what an ingested entry adds to its result ("lms", "late", "student")
    options.py   the grade command's options: --roster --worksheet --deadline --late ...
    export.py    ``python -m grader export``: Moodle worksheet + feedback zip, Canvas, long

Integration API for ``grade`` (everything raises :class:`LmsError` with a one-line
message for unusable input; map it to exit status 2)::

    from grader.lms import add_lms_arguments, lms_options, ingest, apply_to_result

    add_lms_arguments(parser)                  # in grade's add_arguments
    options = lms_options(args)                # -> LmsOptions(roster, worksheet, policy, timezone)
    found = ingest(args.paths, out_dir / "submissions", options.roster, options.worksheet,
                   options.timezone)           # -> Ingest(workdir, entries, skipped, missing)
    for line in found.lines(): print(line)     # skipped files, flags, missing students
    # grade each entry.path (the copies are flat in the work folder, named after the
    # student's own file, unique), then, before writing each result:
    apply_to_result(result, entry, options.policy, options.roster)

``Entry`` (a dataclass) holds: ``path`` (copy to grade), ``source`` (path inside the
download), ``original_name``, ``lms`` ("moodle" | "canvas" | "plain"), ``lms_id``,
``lms_file_id``, ``lms_name``, ``email``, ``folder``, the file name's ``file_name`` /
``file_matriculation`` / ``file_assignment``, ``student`` (an ``Identity``: name,
matriculation, email, lms_id, source, deadline), ``submitted`` and ``submitted_source``,
``late_marker``, ``resubmission``, ``sha256`` and ``flags``. ``load_manifest(workdir)``
gives the entries of an earlier ingest back (from ``workdir/ingest.json``).

Late policy, separately: ``LatePolicy.parse(deadline, late, grace, timezone)``,
``penalty(entry, policy, roster) -> (fraction, explanation)``, ``final_points(result)``
(the total after the penalty) and ``late_line(result)`` (the separate line for feedback).
"""
from .archive import Limits, Skipped
from .errors import LmsError
from .intake import Entry, Identity, Ingest, ingest, load_manifest
from .late import LatePolicy, final_points, late_line, penalty
from .options import LmsOptions, add_lms_arguments, lms_options
from .results import apply_to_result, late_fields, lms_fields, student_fields
from .sheets import Roster, Worksheet

__all__ = ["Entry", "Identity", "Ingest", "LatePolicy", "Limits", "LmsError", "LmsOptions",
           "Roster", "Skipped", "Worksheet", "add_lms_arguments", "apply_to_result",
           "final_points", "ingest", "late_fields", "late_line", "lms_fields", "lms_options",
           "load_manifest", "penalty", "student_fields"]

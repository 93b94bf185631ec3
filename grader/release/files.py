"""Reading solutions, writing notebooks/, and deciding whether a written notebook is current."""
import base64
import json
import math
import zlib
from collections.abc import Callable
from pathlib import Path

import nbformat
import nbformat.reader
import numpy as np

from ..wire import _load_npy
from .pipeline import student_version
from .problems import ReleaseError
from .rules import SOLUTION_NAME, tags
from .selfcheck_cell import PAYLOAD

REPO = Path(__file__).resolve().parent.parent.parent
# How far packed expected values may drift between machines before a notebook counts as
# changed: far below the checks' own tolerances (rtol 1e-6 by default).
DRIFT_RTOL, DRIFT_ATOL = 1e-9, 1e-12


def release_all(solutions_dir: str | Path, notebooks_dir: str | Path, check: bool = False,
                log: Callable[[str], object] | None = None) -> list[str]:
    """Regenerate (or with ``check``, compare) every student notebook; returns the problems.

    Problems are one line each and name the file. Notebooks whose solution is fine are written
    even when others fail; extra notebooks are removed only when every solution released.
    """
    solutions_dir, notebooks_dir = Path(solutions_dir), Path(notebooks_dir)
    log = log or (lambda text: None)
    if not solutions_dir.is_dir():
        return [f"{shown(solutions_dir)}: no such folder"]
    wanted, problems = _render_all(solutions_dir)
    rendered_all = not problems
    for name, text in wanted.items():
        target = notebooks_dir / name
        current = target.read_bytes() if target.exists() else None
        if current is not None and up_to_date(current, text):
            continue
        if check:
            state = "missing" if current is None else "out of date"
            problems.append(f"{shown(target)}: {state}")
            continue
        notebooks_dir.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
        log(f"wrote {shown(target)}")
    if not rendered_all:  # a broken solution may be the one that owns an "extra" file
        return problems
    for path in sorted(p for p in notebooks_dir.glob("*.ipynb") if p.name not in wanted):
        if check:
            problems.append(f"{shown(path)}: extra (no solution notebook produces it)")
        else:
            path.unlink()
            log(f"removed {shown(path)}")
    return problems


def _render_all(solutions_dir):
    """``({output name: text}, problems)`` for every solution notebook in the folder."""
    wanted, owners, problems = {}, {}, []
    for path in sorted(solutions_dir.glob("assignment_*.ipynb")):
        label = shown(path)
        match = SOLUTION_NAME.fullmatch(path.name)
        if not match:
            problems.append(f"{label}: file name is not assignment_<N>_<slug>.ipynb")
            continue
        number = int(match.group(1))
        if number in owners:
            problems.append(f"{label}: assignment {number} also comes from {owners[number]}")
            continue
        owners[number] = label
        try:
            student = student_version(read_solution(path), name=path.name)
        except ReleaseError as error:
            problems += [f"{label}: {p}" for p in error.problems]
            continue
        wanted[output_name(student)] = nbformat.writes(student) + "\n"
    return wanted, problems


def read_solution(path: str | Path) -> dict:
    """Read a notebook without letting nbformat invent random cell ids (see rules.give_ids)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        nb = nbformat.reader.reads(text)
    except Exception as error:  # broken JSON or an unknown format: one line, not a traceback
        raise ReleaseError(Path(path).name, [f"not a readable notebook ({error})"]) from None
    if nb.get("nbformat") != 4:
        raise ReleaseError(Path(path).name, [f"nbformat {nb.get('nbformat')} is not supported; "
                                             "save it as nbformat 4"])
    return nb


def output_name(student_nb: dict) -> str:
    meta = student_nb.metadata.nncourse
    return f"Assignment_{meta['assignment']}_{meta['topic']}.ipynb"


def shown(path: str | Path) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- tolerating float drift

def up_to_date(current: bytes, wanted: str) -> bool:
    """Whether the existing bytes are the wanted text, or differ from it only inside the packed
    self-check data and there only by float round-off or zlib's choices: what another CPU,
    NumPy or zlib build gives for the same inputs. Such a file is left alone, not churned."""
    if current == wanted.encode("utf-8"):
        return True
    try:
        rest, data = unpack(current.decode("utf-8"))
        wanted_rest, wanted_data = unpack(wanted)
    except Exception:  # not a notebook, no payload, or one that does not decode
        return False
    bundle, wanted_bundle = data.pop("bundle"), wanted_data.pop("bundle")
    return rest == wanted_rest and data == wanted_data and _close(bundle, wanted_bundle)


def unpack(text: str) -> tuple[str, dict]:
    """``(notebook text without the payload, decoded payload)`` of a student notebook."""
    nb = nbformat.reads(text, as_version=4)
    cell = next(c for c in nb.cells if "selfcheck" in tags(c))
    packed = PAYLOAD.search(cell.source).group(1)
    cell.source = cell.source.replace(packed, "")
    return nbformat.writes(nb), json.loads(zlib.decompress(base64.b64decode(packed)))


def _close(a, b):
    """Equal plain data, except that floats and packed arrays need only be very close."""
    if isinstance(a, dict) and isinstance(b, dict):
        key = next((k for k in ("__npy__", "__tensor__") if k in a), None)
        if key:
            rest = {k: v for k, v in a.items() if k != key}
            return (key in b and rest == {k: v for k, v in b.items() if k != key}
                    and _close_arrays(_load_npy(a[key]), _load_npy(b[key])))
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_close, a, b))
    if type(a) is float and type(b) is float:
        return math.isclose(a, b, rel_tol=DRIFT_RTOL, abs_tol=DRIFT_ATOL)
    return type(a) is type(b) and a == b


def _close_arrays(a, b):
    return (a.shape == b.shape and a.dtype == b.dtype
            and np.allclose(a, b, rtol=DRIFT_RTOL, atol=DRIFT_ATOL, equal_nan=True))

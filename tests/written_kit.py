"""An output folder with written answers, made without a kernel: the example class's
notebooks of assignment 1 (and, on request, a student whose answers attack the marker's
browser), with their written answers extracted as ``grade`` does."""
import shutil
from pathlib import Path

import nbformat

from grader import report, written
from grader.result import SubmissionResult, TaskResult
from grader.specs import load_spec
from grader.submission import load

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "data" / "examples"

HOSTILE = {
    "answer_1_1": "<script>window.pwned = 1; alert('script')</script> The two sums "
                  "contradict.\n\n<img src=x onerror=\"window.pwned = 2\"> "
                  "[click me](javascript:window.pwned=3) "
                  "![tracker](http://198.51.100.7/pixel.png) <b onmouseover=alert(1)>b</b>",
    "answer_1_2": "<style>body{display:none}</style> $\\href{javascript:alert(1)}{x}$ "
                  "<iframe src=\"http://198.51.100.7/\"></iframe>",
}


def answered(template_path, answers):
    nb = nbformat.read(template_path, as_version=4)
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in answers:
                cell.source = "> **Your answer:**\n>\n> " + answers[tag].replace("\n", "\n> ")
    return nb


def make_out(out: Path, hostile=False, files=None) -> Path:
    """Results for the A1 example notebooks (auto points: 50 each) in ``out``."""
    spec = load_spec(1)
    template = written.template_for(spec)
    sources = sorted(EXAMPLES.glob("Assignment_1_*.ipynb")) if files is None else files
    paths = list(sources)
    if hostile:
        path = out.parent / "Assignment_1_MalloryMallory_66666666.ipynb"
        nbformat.write(answered(REPO / "notebooks" / spec.template_name, HOSTILE), path)
        paths.append(path)
    for path in paths:
        sub = load(path)
        result = SubmissionResult(file=path.name, assignment=1, sha256=sub.sha256,
                                  max=spec.points)
        result.tasks = {"task_1_1": TaskResult("task_1_1", "The XOR data", 50.0, 50.0)}
        answers, flags = written.extract(sub.notebook, spec, template)
        result.written, result.flags = answers, flags
        result.finish()
        report.write_result(result, out)
    return out


def copy_out(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst

"""Constants that several steps share. A leaf: it imports nothing of the grader."""
from pathlib import Path

__version__ = "0.1.0"

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"      # released student notebooks (the grading templates)
SOLUTIONS = REPO / "solutions"      # instructor notebooks, the source of truth
DATA = REPO / "data"

PARTIAL_SANDBOX = ("warning: not root (or no Linux namespaces): kernels run with resource limits "
                   "only, as your own user, with network and files reachable; use "
                   "--require-sandbox to refuse instead")

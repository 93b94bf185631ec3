"""The environment a kernel runs with: nothing of the grader's (a leaf of this package)."""
import os
import site
import sys
from pathlib import Path

CLEAN_ENV_KEYS = ("LANG", "LC_ALL", "TZ")


def sandbox_env(workdir):
    """The whole environment a kernel sees: nothing of the grader's."""
    env = {k: os.environ[k] for k in CLEAN_ENV_KEYS if k in os.environ}
    # a user-site install (pip install --user) is found through HOME, which is replaced
    env["PYTHONUSERBASE"] = os.environ.get("PYTHONUSERBASE") or site.getuserbase()
    env.update(HOME=workdir, PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONHASHSEED="0", IPYTHONDIR=f"{workdir}/.ipython",
               MPLCONFIGDIR=f"{workdir}/.matplotlib", TMPDIR="/tmp", NNCOURSE_GRADING="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1",  # else debugpy warns on every import
               # else ipykernel names each cell by a pure-Python hash of its source: 0.1 s
               # for a request cell of the grader, which carries every check's inputs
               IPYKERNEL_CELL_NAME="<grader request>")
    return env

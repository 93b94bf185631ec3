import sys
from pathlib import Path

# lab.py, the server and browser helpers, sits next to the tests
sys.path.insert(0, str(Path(__file__).resolve().parent))

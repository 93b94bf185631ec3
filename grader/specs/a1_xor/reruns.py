"""Write reruns.npz, the stored reruns of Task 1.8's checks (see training.py):

    python -m grader.specs.a1_xor.reruns

Run it after changing an input maker of Task 1.8 or upgrading torch; the tests say when.
"""
from . import SPEC, training

if __name__ == "__main__":
    count = training.write_reruns(SPEC)
    print(f"wrote {training.RERUNS.name}: {count} runs")

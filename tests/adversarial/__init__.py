"""The adversarial corpus: bad submissions built at test time from the solution notebooks.

``cases.py`` is the one table of cases and their expected outcomes; ``make_corpus.py``
writes the submissions (``python tests/adversarial/make_corpus.py OUT_DIR`` to look at them).
"""

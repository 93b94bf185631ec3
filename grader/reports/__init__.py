"""The reports an output folder holds, one module per output; ``grader/report.py`` is the
entry point that rebuilds them all (``write_reports``) and keeps the older names.

    files.py       result files: atomic writes, safe names, reading (typed, marks merged)
    text.py        formatting shared by the outputs: points, tag order, escaping, templates
    gradebook.py   gradebook.csv
    feedback.py    feedback/<stem>.html and .md (templates/feedback.*.j2)
    summary.py     summary.md (templates/summary.md.j2) and summary.png
    rebuild.py     ``python -m grader report OUT``
"""

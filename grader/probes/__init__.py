"""Probes: the only grading code that runs in the student's kernel.

A probe is a plain function ``probe(ns, **inputs) -> dict``: it takes the task's namespace
(the student's variables) and the check's inputs, calls the student's code, and returns what
came back, raw: values, shapes, recorded calls, the data of a figure's artists. It compares
nothing, aggregates nothing and decides nothing; the trusted grader judges what it returns.
Collaborators a call needs (a network for ``fit``, layers for ``Net``) are test doubles that
record their calls and return scripted values, never a working implementation of a task.

``tests/test_probe_rules.py`` enforces this on every module here, mechanically: no
comparisons, branches or aggregations, no definition with the name of anything a student
writes, every input used. One module per assignment (named like its spec) plus ``common``.
This package must stay importable on its own: the kernel factory preloads it.
"""

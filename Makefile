# Two commands do everything on a fresh machine: `make demo` and `make test`.
# The virtual environment is rebuilt only when pyproject.toml changes; CI points VENV at a
# cache outside the clone.
PYTHON ?= python3
VENV ?= .venv
DEPS := $(shell cat pyproject.toml | sha256sum | cut -c1-12)
STAMP := $(VENV)/.deps-$(DEPS)
PY := $(VENV)/bin/python
OUT ?= out/demo

.PHONY: help env demo test test-browser test-binder release examples bench bench-notebooks clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

env: $(STAMP)  ## create or update the virtual environment

# The stamp's name carries the hash of pyproject.toml, so no file-time prerequisite: a fresh
# clone (whose files are all new) reuses a cached environment with the same dependencies.
$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python 3.10 or newer is needed (found $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.deps-* && touch $@

demo: $(STAMP)  ## grade the bundled example class into out/demo
	$(PY) -m grader grade data/examples -o $(OUT)

test: $(STAMP)  ## run the whole test suite (without the browser tests)
	$(PY) -m pytest

# tests/browser is left out of `make test` (pyproject's addopts); naming it here, with those
# addopts replaced, is what runs it. Chromium comes from the system: /usr/bin/chromium.
test-browser: $(STAMP)  ## JupyterLab with the student notebooks, and the review app, in headless Chromium (~3 min)
	$(PY) -m pytest -o addopts="-ra --durations=0" tests/browser

test-binder:  ## slow, not in CI: a fresh venv from environment.yml runs the solutions
	$(PYTHON) .ci/binder_check.py

release: $(STAMP)  ## regenerate notebooks/ from solutions/
	$(PY) -m grader release

examples: $(STAMP)  ## regenerate the example class in data/examples/
	$(PY) -m grader examples

bench: $(STAMP)  ## grading speed against a plain nbclient baseline
	$(PY) benchmarks/grading.py

bench-notebooks: $(STAMP)  ## each solution notebook's run and grading time against its budget (~6 min)
	$(PY) benchmarks/notebooks.py

clean:  ## remove generated output (keeps the environment)
	rm -rf out .pytest_cache

# The README's commands. Each one installs what it needs first (idempotent and quick when done).
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
XVFB    := xvfb-run -a -s "-screen 0 1280x2000x24"
STAMP   := $(VENV)/.installed
# The suite runs in TEST_JOBS processes (pytest-xdist), one test file per process at a time so
# module-scoped servers stay shared; most tests wait on sockets and timers, not the CPU
# (27.5 min in one process, 14.4 min in two, on 2 cores).
TEST_JOBS ?= 2

.PHONY: demo test bench shots lint system venv clean

demo: system $(STAMP)
	$(BIN)/gig-kiosk demo

test: system-test $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy kiosk devices
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules kiosk devices
	$(XVFB) $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

bench: system-test $(STAMP)
	$(XVFB) $(BIN)/gig-kiosk bench --json bench/results/latest.json

shots: system $(STAMP)
	$(XVFB) $(BIN)/gig-kiosk shots docs/screens

lint: $(STAMP)
	$(BIN)/ruff check .

system:
	bash deploy/setup-system.sh

system-test:
	bash deploy/setup-system.sh --test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# mesatoys: `make lab` to learn, `make test` to check everything.
# Everything installs into a local virtual environment ($(VENV)); nothing is registered globally.

PYTHON ?= python3
VENV ?= .venv

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Lint only the directories that exist (benchmarks/ may not yet).
LINT_DIRS := $(wildcard src tests benchmarks)
# JupyterLab refuses to run as root unless asked explicitly.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab test test-browser test-hub bench format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $@

# A learner's JupyterLab: nbgrader's instructor tools hidden (deploy/student-config/).
# Instructors open the formgrader from assignments/ instead (docs/instructors.md).
STUDENT_CONFIG := $(CURDIR)/deploy/student-config

lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(STUDENT_CONFIG)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
		$(BIN)/jupyter lab notebooks/ $(ALLOW_ROOT)

test: $(STAMP)
	$(BIN)/ruff check $(LINT_DIRS)
	$(BIN)/ruff format --check $(LINT_DIRS)
	$(BIN)/python -m pytest

# Run one group of end-to-end tests alone (both are part of `make test`).
test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser tests/browser

# The classroom on a real JupyterHub; needs `npm install -g configurable-http-proxy`.
test-hub: $(STAMP)
	$(BIN)/python -m pytest -m hub tests/hub

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

format: $(STAMP)
	$(BIN)/ruff format $(LINT_DIRS)
	$(BIN)/ruff check --fix $(LINT_DIRS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache src/*.egg-info
	find $(LINT_DIRS) -type d -name __pycache__ -prune -exec rm -rf {} +

# --- nbgrader: the instructor's pipeline (docs/instructors.md) ------------------------------
# Each target runs nbgrader from the course root, assignments/, with this project's venv.
# ASSIGNMENTS: which assignments to act on. EXCHANGE: the exchange directory; by default
# MESATOYS_EXCHANGE, which the course's nbgrader_config.py (and so the formgrader) reads too,
# else assignments/exchange. On a hub, the directory every student's config names.
ASSIGNMENTS ?= end_of_lesson_quiz lab_distribution_shift
EXCHANGE ?= $(abspath $(or $(MESATOYS_EXCHANGE),$(CURDIR)/assignments/exchange))
ifneq ($(and $(MESATOYS_EXCHANGE),$(filter-out $(abspath $(MESATOYS_EXCHANGE)),$(EXCHANGE))),)
$(warning EXCHANGE=$(EXCHANGE) is not MESATOYS_EXCHANGE=$(MESATOYS_EXCHANGE), the formgrader's)
endif
GRADES ?= $(CURDIR)/assignments/grades.csv
NBGRADER = PATH="$(abspath $(BIN)):$$PATH" "$(abspath $(BIN))/nbgrader"
EXCHANGE_ARG = --Exchange.root="$(EXCHANGE)"

.PHONY: course-generate course-release course-collect course-autograde course-feedback course-export

# Lay out the exchange so that no student sees another's work (docs/deploy.md, "The
# exchange"); once per course, as the instructor. With ROSTER (student ids, one per line) and
# as root (sudo make course-exchange EXCHANGE=... ROSTER=...), each listed student's folder
# is created in advance and given to them, so that nobody can take another's name first.
.PHONY: course-exchange

course-exchange: $(STAMP)
	$(BIN)/python -m mesatoys.grading.exchange "$(EXCHANGE)" --config assignments/nbgrader_config.py \
		$(if $(ROSTER),--roster "$(ROSTER)") $(if $(SUDO_USER),--owner "$(SUDO_USER)")

course-generate: $(STAMP)
	cd assignments && for a in $(ASSIGNMENTS); do \
		$(NBGRADER) generate_assignment $$a --force || exit 1; done

course-release: $(STAMP)
	mkdir -p "$(EXCHANGE)"
	cd assignments && for a in $(ASSIGNMENTS); do \
		$(NBGRADER) release_assignment $$a --force $(EXCHANGE_ARG) || exit 1; done

course-collect: $(STAMP)
	cd assignments && for a in $(ASSIGNMENTS); do \
		$(NBGRADER) collect $$a --update $(EXCHANGE_ARG) || exit 1; done

# Every submission in its own sandbox, JOBS at a time (mesatoys.grading.batch): a submission
# that cannot be graded is reported and the rest go on; the exit status is 1 at the end if
# any failed.
JOBS ?= 1
course-autograde: $(STAMP)
	cd assignments && PATH="$(abspath $(BIN)):$$PATH" \
		"$(abspath $(BIN))/python" -m mesatoys.grading.batch --jobs $(JOBS) $(ASSIGNMENTS)

course-feedback: $(STAMP)
	cd assignments && for a in $(ASSIGNMENTS); do \
		$(NBGRADER) generate_feedback $$a --force && \
		$(NBGRADER) release_feedback $$a $(EXCHANGE_ARG) || exit 1; done

course-export: $(STAMP)
	cd assignments && $(NBGRADER) export --to="$(GRADES)"
	@echo "grades written to $(GRADES)"

# --- A read-only HTML version of the course (docs/deploy.md) --------------------------------
# Executes every notebook (progress goes to a temporary MESATOYS_HOME) and writes site/.
SITE ?= site
SITE_JOBS ?= 1

.PHONY: site

site: $(STAMP)
	$(BIN)/python deploy/build_site.py --out "$(SITE)" --jobs $(SITE_JOBS)

# --- A student-only copy of the repository, to publish (docs/deploy.md, *Binder*) ---------
# This repository holds the answer keys (assignments/source, and its git history) and must
# stay private. DEST receives every file except the instructor-only ones listed in
# deploy/student_tree.py, ready to push as a public mirror (Binder builds from that mirror).
.PHONY: student-tree

student-tree:
	@test -n "$(DEST)" || { echo "usage: make student-tree DEST=<folder outside this repository>" >&2; exit 2; }
	$(PYTHON) deploy/student_tree.py write "$(DEST)"

# mlops-jupyter developer commands. `make lab` and `make test` work on a fresh machine with only
# the system Python, Node/npm and apt: everything else is installed into .venv and node_modules.

SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export YARN_ENABLE_PROGRESS_BARS := false
# pip prints one "Location ... is ignored" line per package on these machines; keep its exit status.
# -q: no "Requirement already satisfied" per package either (errors and warnings still show).
PIP := $(BIN)/python -m pip
QUIET_PIP := grep -v -e "is ignored: it is neither a file nor a directory" || true

CHROMIUM ?= /usr/bin/chromium
TEST_RESULTS := .test-results

.PHONY: help install lab test test-py test-js test-ui lint format demo bench clean chromium postgres screenshots

help:
	@echo "make lab    - set up everything and start JupyterLab on examples/ with the extension"
	@echo "              (LAB_ARGS passes options, e.g. make lab LAB_ARGS='--port 8899 --no-browser')"
	@echo "make test   - set up everything and run lint, pytest, jest and the Galata browser tests"
	@echo "make demo   - run the example notebooks headless with tracking, list, compare, reproduce"
	@echo "make lint   - ruff, mypy, codespell, eslint, prettier"
	@echo "make bench  - run the benchmarks in benchmarks/ (installs the competitors to compare)"
	@echo "make screenshots - the README's screenshots, taken by the browser tests (ui-tests/screenshots/)"

$(VENV)/.stamp-venv:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip 2>&1 | $(QUIET_PIP)
	touch $@

# jupyterlab first: the package's build hook needs its `jlpm` on PATH.
$(VENV)/.stamp-install: $(VENV)/.stamp-venv pyproject.toml package.json yarn.lock
	$(PIP) install -q "jupyterlab==4.6.6" 2>&1 | $(QUIET_PIP); test $${PIPESTATUS[0]} -eq 0
	jlpm install
	$(PIP) install -q -e ".[test,dev,mlflow]" 2>&1 | $(QUIET_PIP); test $${PIPESTATUS[0]} -eq 0
	jupyter-builder develop . --overwrite
	touch $@

$(VENV)/.stamp-build: $(VENV)/.stamp-install $(shell find src style schema -type f 2>/dev/null) tsconfig.json
	jlpm build
	touch $@

# Read each listing whole before grepping: `grep -q` stops at the first match and the lister
# would die of SIGPIPE, which pipefail reports as a failure.
install: $(VENV)/.stamp-build
	@labext="$$(jupyter labextension list 2>&1)"; \
	grep -q "mlops-jupyter.*enabled.*OK" <<< "$$labext" \
		|| { echo "mlops-jupyter labextension is not enabled and OK"; echo "$$labext"; exit 1; }
	@serverext="$$(jupyter server extension list 2>&1)"; \
	grep -q "mlops_jupyter.*enabled" <<< "$$serverext" \
		|| { echo "mlops_jupyter server extension is not enabled"; echo "$$serverext"; exit 1; }

lab: install
	cd examples && jupyter lab --ServerApp.root_dir="$(CURDIR)/examples" $(LAB_ARGS)

chromium:
	@test -x $(CHROMIUM) || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

# The store tests start a real PostgreSQL server of their own (tests/_postgres.py): they need
# the server binaries, not a running service.
postgres:
	@compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || { \
		echo "Installing Debian's postgresql for the store tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql; }

ui-tests/node_modules/.stamp: $(VENV)/.stamp-install ui-tests/package.json ui-tests/yarn.lock
	cd ui-tests && jlpm install
	touch $@

lint: $(VENV)/.stamp-install
	ruff check mlops_jupyter tests benchmarks examples
	ruff format --check mlops_jupyter tests benchmarks examples
	mypy
	codespell mlops_jupyter src tests README.md api
	jlpm run lint

format: $(VENV)/.stamp-install
	ruff check --fix mlops_jupyter tests benchmarks examples
	ruff format mlops_jupyter tests benchmarks examples
	jlpm run prettier
	jlpm run eslint

test-py: install postgres
	mkdir -p $(TEST_RESULTS)
	python -m pytest -q --junitxml=$(TEST_RESULTS)/pytest.xml $(PYTEST_ARGS)

test-js: install
	mkdir -p $(TEST_RESULTS)
	jlpm test --ci --json --outputFile=$(TEST_RESULTS)/jest.json

# The Jupyter server's log goes to $(TEST_RESULTS)/jupyter-server.log (named when a test fails).
test-ui: install chromium ui-tests/node_modules/.stamp
	mkdir -p $(TEST_RESULTS)
	cd ui-tests && jlpm playwright test $(PLAYWRIGHT_ARGS)

# The screenshots the README shows, in light and dark themes, from the browser tests.
screenshots:
	MLOPS_UPDATE_SCREENSHOTS=1 $(MAKE) --no-print-directory test-ui \
		PLAYWRIGHT_ARGS="tests/look.spec.ts tests/reproduce.spec.ts tests/summary.spec.ts"

# Every stage runs even if an earlier one failed, so one run reports every failure; the summary
# line counts all tests and the exit status is non-zero if anything failed.
test: install chromium postgres ui-tests/node_modules/.stamp
	rm -rf $(TEST_RESULTS); mkdir -p $(TEST_RESULTS)
	status=0; \
	echo "── lint"; \
	$(MAKE) --no-print-directory lint || { echo "lint failed" > $(TEST_RESULTS)/lint.failed; status=1; }; \
	echo "── pytest"; \
	$(MAKE) --no-print-directory test-py || status=1; \
	echo "── jest"; \
	$(MAKE) --no-print-directory test-js || status=1; \
	echo "── browser tests (Galata)"; \
	$(MAKE) --no-print-directory test-ui || status=1; \
	python .ci/summary.py $(TEST_RESULTS) || status=1; \
	exit $$status

demo: install
	python examples/demo.py

# The competitors live in their own virtual environment: their pins never touch ours.
# psycopg2 is MLflow's PostgreSQL driver in bench_store.py.
.venv-bench/.stamp:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install mlflow psycopg2-binary 2>&1 | $(QUIET_PIP); test $${PIPESTATUS[0]} -eq 0
	touch $@

# bench_store.py starts a throwaway PostgreSQL server (tests/_postgres.py): `postgres` installs
# the server binaries. A .venv-bench made before psycopg2 was needed gets it here.
bench: install postgres .venv-bench/.stamp
	@.venv-bench/bin/python -c "import psycopg2" 2>/dev/null || { \
		.venv-bench/bin/python -m pip install psycopg2-binary 2>&1 | $(QUIET_PIP); test $${PIPESTATUS[0]} -eq 0; }
	python benchmarks/bench_track.py $(BENCH_ARGS)
	python benchmarks/bench_store.py $(BENCH_STORE_ARGS)
	python benchmarks/bench_mlflow_export.py $(BENCH_EXPORT_ARGS)
	python benchmarks/bench_lineage.py $(BENCH_LINEAGE_ARGS)
	python benchmarks/bench_drift.py $(BENCH_DRIFT_ARGS)

clean:
	rm -rf lib tsconfig.tsbuildinfo mlops_jupyter/labextension $(TEST_RESULTS) ui-tests/test-results .venv-bench

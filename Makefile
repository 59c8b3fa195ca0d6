# Two commands on a fresh clone: `make run` (set up, then the whole pipeline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: setup run repro test check lint bench lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

run: setup          ## the whole pipeline with Snakemake: data, training, tables, report
	snakemake --cores all

repro: setup        ## the same pipeline through DVC, recorded in dvc.lock
	dvc repro

# pytest-xdist workers; a test module's tests share one worker (loadscope)
WORKERS ?= 2

lint: setup
	ruff check src tests benchmarks
	snakefmt --check Snakefile workflow/rules

test: lint          ## the whole suite: real Snakemake, DVC, MLflow server, SLURM, Chromium
	python -m pytest -q -n $(WORKERS) --dist loadscope

check: lint         ## the quick tier, after each edit: every test not marked slow
	python -m pytest -q -n $(WORKERS) --dist loadscope -m "not slow"

bench: setup        ## training step vs a DataLoader loop; one epoch's time per data set
	python benchmarks/train_step.py
	python benchmarks/epoch_time.py

lock:               ## re-resolve requirements.in into requirements.lock in a scratch venv
	rm -rf /tmp/rectifier-lock && $(PYTHON) -m venv /tmp/rectifier-lock
	/tmp/rectifier-lock/bin/pip install --quiet -r requirements.in
	/tmp/rectifier-lock/bin/pip freeze | sed 's/^torch==\(.*\)+cpu$$/torch==\1/' > requirements.lock

clean:              ## every output of Table 1's run but the downloaded data (data/); not experiments/
	rm -rf results pretrained reports/report.md reports/report.html reports/figures \
		reports/tables reports/plots reports/metrics.json .snakemake logs

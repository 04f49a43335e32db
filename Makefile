# The two commands of the README. Each one sets everything up first (scripts/bootstrap.sh).
SHELL := /bin/bash
SCALE ?= 0.1
REPLICATIONS ?= 10
SCENARIOS := scenarios/baseline.toml scenarios/regional.toml scenarios/cross_domain.toml \
	scenarios/central_community.toml scenarios/dual_reporting.toml \
	scenarios/red_commercial_street.toml scenarios/smart_platform.toml scenarios/chifeng_2018.toml

.PHONY: main test quick-test lint setup full-city regression notebooks reference

setup:
	@scripts/bootstrap.sh

## Compare the shipped scenarios (paired replications), write results and charts, print the table.
main: setup
	.venv/bin/simulation compare $(SCENARIOS) --scale $(SCALE) --replications $(REPLICATIONS)

## The whole test suite, slow statistical and full-scale checks included.
test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -n auto --durations=15

## Everything but the slow checks.
quick-test: setup
	.venv/bin/python -m pytest -n auto -m "not slow"

## The main job on the full city (about two million residents).
full-city: setup
	.venv/bin/simulation compare $(SCENARIOS) --scale 1 --replications $(REPLICATIONS)

## Regenerate the committed regression baselines (only when results change on purpose).
regression: setup
	.venv/bin/python scripts/regression.py --write
## Open the notebooks (planner, researcher, decision brief) in JupyterLab.
notebooks: setup
	.venv/bin/jupyter lab --ServerApp.root_dir=. --ServerApp.default_url=/lab/tree/notebooks \
		$(if $(filter 0,$(shell id -u)),--allow-root)

## Regenerate the shipped reference results (results/reference/; under a minute on 2 cores).
reference: setup
	.venv/bin/python scripts/make_reference.py

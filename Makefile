# Two commands for a fresh machine with Python 3.11:  `make run`  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# Only this machine can open the app. To expose it on purpose: `make run BIND=0.0.0.0` (see README).
BIND ?= 127.0.0.1

.PHONY: run test setup setup-dev browser model benchmark doctor clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements-lightfm.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-lightfm.txt
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

# Debian's Chromium, for the real-browser test (Playwright drives it; nothing is downloaded by Playwright).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## The app on the embedded Redis and the shipped demo data and model.
run: setup
	$(BIN)/python -m recsys index
	$(BIN)/streamlit run streamlit_app.py --server.address $(BIND) --server.port $(PORT) --server.headless true

## Every test tier: unit, integration (real Redis), app (AppTest), e2e (Chromium).
test: setup-dev browser
	$(BIN)/ruff check .
	@$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

## Regenerate the shipped demo data and model (deterministic from the seeds).
model: setup
	$(BIN)/python -m recsys demo-data --out assets/demo
	$(BIN)/python -m recsys train --dataset assets/demo --out assets/model
	$(BIN)/python -m recsys evaluate --model assets/model --dataset assets/demo --split random --split cold-users --split cold-items --split time

benchmark: setup-dev
	$(BIN)/python -m benchmarks

doctor: setup
	$(BIN)/python -m recsys doctor

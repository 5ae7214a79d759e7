# Two commands do everything on a fresh machine:
#   make run   - set up, train if the training data changed, start the assistant
#   make test  - set up, train if needed, then every check
SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONHASHSEED := 0
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
INSTALLED := $(VENV)/.installed
MODEL := models/guidance.tar.gz
# The console's compiled message catalogues (console/i18n.py): built from the .po files in git.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard console/translations/*/LC_MESSAGES/messages.po))

.PHONY: help setup lock lint browser messages train run telegram test eval bench validate unit migrate clean

help:
	@echo "make run    set up, train when the data changed, start the assistant (REST on :5005, actions on :5055) and the staff console (:8080)"
	@echo "make telegram  the same, and chat on Telegram by polling (needs TELEGRAM_BOT_TOKEN; no public URL)"
	@echo "make test   set up, then rasa data validate, pytest and Rasa's story tests"
	@echo "make eval   benchmarks through the REST channel: right facts, did-you-mean/fallback, offer flags and levels; fails below target"
	@echo "make bench  capacity: simulated users on REST, Telegram and WhatsApp with 1 and 2 replicas; p50/p95/p99, msg/s, memory"
	@echo "make lock   re-pin requirements.txt from requirements.in (pip-tools); every pin says what needs it"
	@echo "make lint   ruff format and ruff check (line length 120), and mypy over bot/ and actions/"

$(PY):
	@python=$$(scripts/find-python310) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

# Reinstall whenever the pinned requirements change.
$(INSTALLED): requirements.txt | $(PY)
	$(PY) -m pip install --quiet pip==24.2
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

setup: $(INSTALLED) $(CATALOGUES)
	@mkdir -p var models

%.mo: %.po $(INSTALLED)
	$(VENV)/bin/pybabel compile -i $< -o $@

# After changing the console's texts: collect them again and merge them into each language's .po
# (then translate the new entries; tests/console/test_i18n.py fails while one is missing).
messages: setup
	$(VENV)/bin/pybabel extract -F console/babel.cfg -k _l -o console/translations/messages.pot console
	$(VENV)/bin/pybabel update -i console/translations/messages.pot -d console/translations

# Re-pin requirements.txt from requirements.in with pip-tools, run from a venv of its own (its
# dependencies would not fit Rasa's pins). Existing pins are kept unless requirements.in asks otherwise.
lock:
	@python=$$(scripts/find-python310) || exit 1; \
	test -x .lock-venv/bin/pip-compile || { "$$python" -m venv .lock-venv && .lock-venv/bin/pip install --quiet pip-tools==7.6.2; }
	.lock-venv/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
	    --output-file=requirements.txt requirements.in

# Debian's Chromium and ChromeDriver, for the console's browser test (installed when missing).
browser:
	@scripts/install-browser

# Train only when the training data, config or pipeline code changed: a content hash (taken before
# training, so edits made while it runs are noticed next time) is kept beside the model.
train: setup
	@want=$$(scripts/training-fingerprint); have=$$(cat models/guidance.fingerprint 2>/dev/null || true); \
	if [ -f $(MODEL) ] && [ "$$want" = "$$have" ]; then \
	  echo "Training data unchanged: using $(MODEL)"; \
	else \
	  $(RASA) train --config config.yml --domain domain.yml --data nlu stories --out models --fixed-model-name guidance \
	    && echo "$$want" > models/guidance.fingerprint; \
	fi

run: train
	$(PY) -m bot.serve

# Everything `make run` starts, plus Telegram polling: TELEGRAM_BOT_TOKEN=... make telegram
telegram: train
	$(PY) -m bot.serve --telegram-polling

migrate: setup
	$(PY) -m bot.manage migrate

validate: setup
	$(RASA) data validate --config config.yml --domain domain.yml --data nlu stories

unit: setup
	$(PY) -m pytest tests -m "not conversation" -q

# Under `make test` a missing PostgreSQL or Chromium fails the tests instead of skipping them.
# The lint gate: formatting, lint rules (ruff.toml) and the type check (mypy.ini). make test runs it first.
lint: setup
	$(VENV)/bin/ruff format --check --quiet .
	$(VENV)/bin/ruff check --quiet .
	$(PY) -m mypy

test: lint train validate browser
	REQUIRE_REAL_SERVICES=1 $(PY) -m pytest tests -q
	$(RASA) test core --model $(MODEL) --stories tests/stories --out reports/story-tests --fail-on-prediction-errors

# Both benchmarks in one run (the assistant starts once): every set's figures are printed and written
# to reports/eval/ first, then the run fails when a held-out target is missed or a set could not run.
eval: train
	$(PY) -m tests.eval.run all

# Capacity, end to end: simulated users through REST, Telegram and WhatsApp with 1 and 2 Rasa
# replicas (PostgreSQL, Redis), beside the bare NLU parse; BENCH_ARGS="--duration 60" to change it.
bench: train
	$(PY) -m tests.eval.bench $(BENCH_ARGS)

clean:
	rm -rf models reports results

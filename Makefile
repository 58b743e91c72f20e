# Every task of Kho starts here: `make run` to serve, `make test` to check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INI    ?= development.ini

.PHONY: run test test-fast lint bytecode system venv var catalogs bench clean-var help

help:
	@echo "make run    install what is missing, set up var/ with demo data, serve http://127.0.0.1:6543"
	@echo "make test   the same set-up, then lint and the whole test suite (CI's command)"
	@echo "make test-fast  daily work (753 of 953 tests, 90 s on 2 cores): no tesseract, browser or slow tests"
	@echo "                (ZEO/PostgreSQL, schemathesis, kho subprocesses, route crawls, most of the role matrix)"
	@echo "make lint   ruff (pyproject.toml [tool.ruff])"
	@echo "make bench  print the benchmark figures (bench/*.py)"

system:
	@bash scripts/install-system.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python setup.cfg constraints.txt
	$(BIN)/pip install -q --upgrade pip 'setuptools<81' wheel
	$(BIN)/pip install -q -c constraints.txt --config-settings editable_mode=compat -e '.[test]'
	@touch $@

venv: $(VENV)/.installed catalogs

catalogs: $(VENV)/.installed
	@$(BIN)/python -m views.i18n compile

var: system venv
	$(BIN)/kho -c $(INI) setup

run: var
	$(BIN)/pserve $(INI)

test: system venv lint
	$(BIN)/kho -c $(INI) setup
	$(BIN)/pytest -n 2 --dist loadgroup -q

# daily work, under 2 minutes: no tesseract, browser or `slow` (ZEO/RelStorage, schemathesis,
# subprocess commands, crawls, the role matrix beyond one view per module); `test` runs them all
test-fast: venv
	$(BIN)/pytest -n 2 -q -m "not slow and not browser and not tesseract"

lint: venv
	$(BIN)/ruff check .

bench: system venv
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/sign.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/upload.py --docs 10000 --uploads 20
	$(BIN)/python bench/reception.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/audit.py --seconds 3 --repeat 1 --entries 100000 --owners 5000
	$(BIN)/python bench/indicators.py --dossiers 1000
	$(BIN)/python bench/retention.py --papers 20000

# byte-compile the project once (where PYTHONDONTWRITEBYTECODE is set, every
# `kho` would compile what it imports again: 20-40 ms on `kho ocr`)
bytecode:
	$(BIN)/python -m compileall -q repository ocr search signing views

clean-var:
	rm -rf var

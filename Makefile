# The book's two commands: `make serve` and `make test` (and `make build` for site/).
# Each sets up what it needs first: a virtual environment in .venv with cnnbook and the
# docs/test tools, and KaTeX from npm in node_modules. Nothing is downloaded at build time.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
export NO_MKDOCS_2_WARNING := 1

.PHONY: install serve build test pdf reproducible faults clean distclean

install: $(PY_STAMP) $(JS_STAMP)

$(PY_STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[docs,test]'
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

serve: install        ## the book at http://127.0.0.1:8000, rebuilt on every save (without the print page and search)
	CNNBOOK_PRINT_PAGE=false CNNBOOK_SEARCH=false CNNBOOK_MACRO_ERRORS_FAIL=false $(BIN)/mkdocs serve --dirty --no-strict --dev-addr 127.0.0.1:8000 --livereload

build: install        ## site/ ready to publish (strict: any warning fails)
	$(BIN)/mkdocs build --strict

test: install         ## the linter, build speeds (one cold build), the whole test suite on that build; phase times
	$(BIN)/python scripts/make_test.py

pdf: build            ## the whole book as one PDF, site/cnnbook.pdf (headless Chromium)
	$(BIN)/python scripts/print_pdf.py site site/cnnbook.pdf

reproducible: install ## two clean builds, compared byte for byte
	$(BIN)/python scripts/reproducible.py

faults: install       ## builds killed, run together, and on damaged caches, each against a clean build (~25 min)
	$(BIN)/python scripts/fault_injection.py

clean:
	rm -rf site .cache

distclean: clean
	rm -rf $(VENV) node_modules *.egg-info

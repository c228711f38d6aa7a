# mlhw-book: two commands on a fresh machine (python3, make, git, npm):
#   make book   -> set up .venv and offline assets, build _build/html
#   make test   -> every test (library, notebooks via nbval, built site)
SHELL := /bin/bash
.DEFAULT_GOAL := book
.PHONY: book test serve clean execute assets venv book-student slides pdf bench help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
JB     := $(BIN)/jupyter-book
HTML   := _build/html
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
LIB_SOURCES := $(sort $(wildcard mlhwlib/*.py))
# In CI (CI=true) notebooks are always re-executed; locally jupyter-cache is used.
ifeq ($(CI),true)
BOOK_CONFIG := --config _build/config-ci.yml
else
BOOK_CONFIG :=
endif
JB_FLAGS := -W -n --keep-going

help:
	@echo "make book          build the HTML site into $(HTML) (sets everything up first)"
	@echo "make test          run every test: library, notebooks (nbval), built site"
	@echo "make serve         serve $(HTML) on http://127.0.0.1:8000"
	@echo "make execute       re-execute every notebook in place (commit the result)"
	@echo "make book-student  build the student edition (no solutions) into _build/student"
	@echo "make slides        build offline reveal.js slides into $(HTML)/slides"
	@echo "make pdf           build the whole book as one PDF (needs texlive, see README)"
	@echo "make bench         run the benchmarks and write benchmarks/results.md"
	@echo "make clean         remove build outputs and offline assets"

# --- environment ----------------------------------------------------------
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# --- offline assets (MathJax 3, reveal.js) from npm -------------------------
assets: _extra/.installed
_extra/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf _extra && mkdir -p _extra/mathjax/output/chtml/fonts
	cp node_modules/mathjax/es5/tex-mml-chtml.js _extra/mathjax/
	cp -r node_modules/mathjax/es5/output/chtml/fonts/woff-v2 _extra/mathjax/output/chtml/fonts/
	mkdir -p _extra/mathjax/input/tex
	cp -r node_modules/mathjax/es5/input/tex/extensions _extra/mathjax/input/tex/
	touch $@

# --- the book ---------------------------------------------------------------
# jupyter-cache keys on notebook code only: clear it when mlhwlib changes.
_build/.lib-stamp: $(LIB_SOURCES)
	mkdir -p _build
	rm -rf _build/.jupyter_cache
	touch $@

_build/config-ci.yml: _config.yml tools/book_config.py $(VENV)/.installed
	$(BIN)/python tools/book_config.py ci $@

book: $(VENV)/.installed _extra/.installed _build/.lib-stamp $(if $(BOOK_CONFIG),_build/config-ci.yml)
	$(JB) build . $(JB_FLAGS) $(BOOK_CONFIG)
	@echo "Book built: $(CURDIR)/$(HTML)/index.html"

test: book
	$(BIN)/python -m pytest tests book --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

execute: $(VENV)/.installed
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --NotebookClient.record_timing=False "$$nb" || exit 1; \
	done

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(HTML) 8000

clean:
	rm -rf _build _extra .pytest_cache

# mlhw-book: two commands on a fresh machine (python3, make, git, npm):
#   make book   -> set up .venv and offline assets, build _build/html
#   make test   -> every test (library, notebooks via nbval, built site)
SHELL := /bin/bash
.DEFAULT_GOAL := book
.PHONY: book test test-lib lock serve clean execute assets venv slides book-student pdf pdf-student audit bench help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
JB     := $(BIN)/jupyter-book
HTML   := _build/html
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
LIB_SOURCES := $(sort $(wildcard mlhwlib/*.py))
BOOK_SOURCES := _config.yml _toc.yml references.bib $(sort $(wildcard book/*.md book/*/*.md _ext/*.py _ext/*.mjs _ext/static/*))
# In CI (CI=true) notebooks are always re-executed; locally jupyter-cache is used.
ifeq ($(CI),true)
BOOK_CONFIG := --config _build/config-ci.yml
else
BOOK_CONFIG :=
endif
JB_FLAGS := -W -n --keep-going
HAVE_LATEX := $(shell command -v latexmk >/dev/null 2>&1 && command -v xelatex >/dev/null 2>&1 && kpsewhich xeCJK.sty >/dev/null 2>&1 && echo yes)

help:
	@echo "make book          build the HTML site (and slides) into $(HTML); sets everything up first"
	@echo "make test          every test: library, notebooks (nbval), built site, student edition, PDF"
	@echo "make test-lib      the library tests only (pytest -m lib): no notebooks, no build, seconds"
	@echo "make lock          regenerate the exact lock requirements.txt from pyproject.toml (pip-compile)"
	@echo "make serve         serve $(HTML) on http://127.0.0.1:8000"
	@echo "make execute       re-execute every notebook in place (commit the result)"
	@echo "make slides        lecture decks and PDF handouts, one per chapter: $(HTML)/slides"
	@echo "make book-student  student edition without solutions, into _build/student"
	@echo "make pdf           the whole book as one PDF: _build/latex/mlhw-book.pdf (needs texlive)"
	@echo "make pdf-student   the PDF without solutions: $(STUDENT_PDF)"
	@echo "make audit         Lighthouse (mobile) + axe-core on every page; writes benchmarks/audit.md"
	@echo "make bench         benchmarks against scikit-learn; writes benchmarks/results.md"
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
	rm -rf _extra/mathjax && mkdir -p _extra/mathjax/output/chtml/fonts _extra/mathjax/input/tex
	cp node_modules/mathjax/es5/tex-mml-chtml.js _extra/mathjax/
	cp -r node_modules/mathjax/es5/output/chtml/fonts/woff-v2 _extra/mathjax/output/chtml/fonts/
	cp -r node_modules/mathjax/es5/input/tex/extensions _extra/mathjax/input/tex/
	touch $@

# --- slides: published with the site through html_extra_path -----------------
slides: _extra/slides/.built
# Cross-references are numbered as in the built site: `make book` builds the decks
# again after the site (the first build, without a site, numbers nothing).
# The decks are staged in _extra/slides (Sphinx publishes html_extra_path into every edition).
_extra/slides/.built: $(NOTEBOOKS) $(wildcard lectures/*.yml) tools/build_slides.py \
    tools/chapter_items.py tools/myst_to_slides.py tools/deck_pdf.mjs \
    _config.yml references.bib _extra/.installed $(VENV)/.installed \
    $(wildcard $(HTML)/book/*.html)
	rm -rf _extra/slides
	$(BIN)/python tools/build_slides.py --html $(HTML) _extra/slides $(NOTEBOOKS)
	@# Sphinx copies html_extra_path only when a page is rebuilt: publish the decks now too.
	rm -rf $(HTML)/slides && mkdir -p $(HTML) && cp -r _extra/slides $(HTML)/slides
	touch $@

# --- the book ---------------------------------------------------------------
# jupyter-cache keys on notebook code only: clear it when mlhwlib changes.
_build/.lib-stamp: $(LIB_SOURCES)
	mkdir -p _build
	rm -rf _build/.jupyter_cache
	touch $@

_build/config-%.yml: _config.yml tools/book_config.py $(VENV)/.installed
	mkdir -p _build
	$(BIN)/python tools/book_config.py $* $@

# Sphinx does not notice a change in the extensions (_ext/), nor every change of
# _config.yml (the bibliography style, for one): when they change, the
# site and the LaTeX are built again from scratch (every page read and post-processed anew).
EXT_SOURCES := $(sort $(wildcard _ext/*.py _ext/*.mjs _ext/static/*))
_build/.ext-stamp: $(EXT_SOURCES) _config.yml
	mkdir -p _build
	rm -rf $(HTML) _build/latex _build/.doctrees
	touch $@

book: $(VENV)/.installed _extra/.installed _extra/slides/.built _build/.lib-stamp _build/.ext-stamp \
      $(if $(BOOK_CONFIG),_build/config-ci.yml)
	$(JB) build . $(JB_FLAGS) $(BOOK_CONFIG)
	$(MAKE) --no-print-directory slides
	@echo "Book built: $(CURDIR)/$(HTML)/index.html"

# The student edition: no solutions anywhere (pages, sources, search index, downloads).
book-student: _build/student/.built
_build/student/.built: _build/config-student.yml $(NOTEBOOKS) $(BOOK_SOURCES) \
    _extra/.installed _extra/slides/.built
	rm -rf _build/student
	$(JB) build . $(JB_FLAGS) --config _build/config-student.yml --path-output _build/student
	touch $@
	@echo "Student edition: $(CURDIR)/_build/student/_build/html/index.html"

# The PDF (xelatex through latexmk); see README for the Debian packages.
pdf: $(VENV)/.installed _build/.lib-stamp _build/.ext-stamp $(if $(BOOK_CONFIG),_build/config-ci.yml)
	$(JB) build . --builder pdflatex $(JB_FLAGS) $(BOOK_CONFIG)
	@echo "PDF: $(CURDIR)/_build/latex/mlhw-book.pdf"

# The student PDF: no solutions (the student configuration, committed outputs).
STUDENT_PDF := _build/student-pdf/_build/latex/mlhw-book.pdf
pdf-student: _build/config-student.yml $(VENV)/.installed
	rm -rf _build/student-pdf
	$(JB) build . --builder pdflatex $(JB_FLAGS) --config _build/config-student.yml \
	  --path-output _build/student-pdf
	@echo "Student PDF: $(CURDIR)/$(STUDENT_PDF)"

test: book book-student $(if $(HAVE_LATEX),pdf pdf-student)
	$(BIN)/python -m pytest tests book --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider --require-build

# The fast loop: the library tests only (marker `lib`, assigned in tests/conftest.py).
test-lib: $(VENV)/.installed
	$(BIN)/python -m pytest tests -m lib -q -p no:cacheprovider

# The exact lock: requirements.txt from pyproject.toml's dependencies and its extras `book`
# and `test`, by pip-tools in a throwaway venv. Existing pins are kept; `make lock UPGRADE=1`
# moves every package to its newest allowed version. Commit both files together.
PIP_TOOLS := pip-tools==7.6.2
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet "$(PIP_TOOLS)" && \
	CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" --quiet \
	  --extra book --extra test --strip-extras --allow-unsafe --annotation-style=line \
	  --no-emit-find-links --no-emit-index-url $(if $(UPGRADE),--upgrade) \
	  --output-file requirements.txt pyproject.toml
	@echo "requirements.txt regenerated: review the diff, then commit it with pyproject.toml"

execute: $(VENV)/.installed
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --NotebookClient.record_timing=False "$$nb" || exit 1; \
	done

# Lighthouse and axe-core in Chromium on every page: a report (scores vary by machine).
audit: book
	$(BIN)/python tools/site_audit.py --html $(HTML) --out benchmarks/audit

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_all.py

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(HTML) 8000

clean:
	rm -rf _build _extra .pytest_cache

# mlhw-book: two commands on a fresh machine (python3, make, git, npm):
#   make book   -> set up .venv and offline assets, build _build/html
#   make test   -> every test (library, notebooks via nbval, built site)
SHELL := /bin/bash
.DEFAULT_GOAL := book
.PHONY: book test test-lib test-notebooks lock serve clean distclean execute sync sync-md assets venv slides book-student pdf pdf-student audit bench help check-tools dist notebooks assignments course

PYTHON ?= python3
# The lock (requirements.txt) needs Python 3.11 or newer (contourpy 1.3.3, for one);
# tested with 3.11, 3.12 and 3.13. mlhwlib alone (the wheel) needs 3.10.
PY_MIN := 3.11
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
# With TeX, `make book` also builds the PDF and the site links it (_ext/downloads.py).
PDF_NAME := mlhw-book.pdf
ifeq ($(HAVE_LATEX),yes)
export MLHW_PDF := $(PDF_NAME)
endif
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' mlhwlib/__init__.py)
WHEEL   := dist/mlhwlib-$(VERSION)-py3-none-any.whl
SDIST   := dist/mlhwlib-$(VERSION).tar.gz
STUDENT_HTML := _build/student/_build/html
# torch is locked to its CPU build (torch==X+cpu), which PyTorch's own index serves:
# installed first from the configured indexes (a local wheel, if any), else from there.
TORCH_PIN   := $(shell grep -E '^torch==' requirements.txt | cut -d' ' -f1)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

help:
	@echo "make book          build the HTML site into $(HTML) (slides, notebook downloads; the PDF with TeX); sets everything up first"
	@echo "make test          every test: library, notebooks (nbval), built site, student edition, PDF"
	@echo "make test-lib      the library tests only (pytest -m lib): no notebooks, no build, seconds"
	@echo "make test-notebooks every notebook re-executed against its outputs (nbval), both numeric profiles, checking cells"
	@echo "make lock          regenerate the exact lock requirements.txt from pyproject.toml (pip-compile)"
	@echo "make serve         serve $(HTML) on http://127.0.0.1:8000"
	@echo "make sync          chapters/*.md (the text you edit) -> the sources of book/*.ipynb; then make execute"
	@echo "make sync-md       book/*.ipynb -> chapters/*.md (after editing a notebook outside JupyterLab)"
	@echo "make execute       re-execute every notebook in place, figures compacted (commit the result)"
	@echo "make slides        lecture decks and PDF handouts, one per chapter: $(HTML)/slides"
	@echo "make notebooks     clean notebooks for download and mlhw-notebooks.zip, in $(HTML) (and the student site)"
	@echo "make dist          the mlhwlib wheel and sdist, in dist/"
	@echo "make book-student  student edition without solutions, into _build/student"
	@echo "make pdf           the whole book as one PDF: _build/latex/mlhw-book.pdf (needs texlive)"
	@echo "make pdf-student   the PDF without solutions: $(STUDENT_PDF)"
	@echo "make audit         Lighthouse (mobile) + axe-core on every page; writes benchmarks/audit.md"
	@echo "make bench         benchmarks against scikit-learn and the previous release (regressions > 15 %); writes mlhwlib/data/results.md"
	@echo "make assignments   otter-grader assignments, one per chapter: _build/assignments/<chapter>/{student,autograder} (after make book)"
	@echo "make course        everything a course needs in _build/course (sites, PDFs, decks, assignments, notebooks)"
	@echo "make clean         remove build outputs and offline assets"
	@echo "make distclean     also remove .venv and node_modules"

# --- environment ----------------------------------------------------------
# What the long install needs, checked first: a clear message, not pip's
# "No matching distribution found for click==..." twenty minutes later.
check-tools:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(PY_MIN)".split("."))))' 2>/dev/null || { \
	  echo "make: the book needs Python $(PY_MIN) or newer (tested: 3.11, 3.12, 3.13); $(PYTHON) is" \
	    "$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'not found')." \
	    "Name another one: make book PYTHON=python3.12" >&2; exit 1; }
	@command -v npm >/dev/null 2>&1 || { echo "make: npm not found: the site's MathJax and reveal.js come from npm (install Node.js 18+ and npm)" >&2; exit 1; }

venv: $(VENV)/.installed
# A .venv made by another (too old) Python is replaced; one whose install failed is
# removed, so the next `make` starts clean instead of reusing it.
$(VENV)/.installed: requirements.txt pyproject.toml
	@$(MAKE) --no-print-directory check-tools
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < tuple(map(int, "$(PY_MIN)".split("."))))'; then \
	  echo "make: $(VENV) has Python $$($(BIN)/python -c 'import platform; print(platform.python_version())'): replacing it"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --no-deps "$(TORCH_PIN)" 2>/dev/null || \
	  $(BIN)/python -m pip install --quiet --no-deps --index-url $(TORCH_INDEX) "$(TORCH_PIN)" || \
	  { echo "make: could not install $(TORCH_PIN) (from PyPI's configured indexes or $(TORCH_INDEX))" >&2; rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet -r requirements.txt || { rm -rf $(VENV); exit 1; }
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . || { rm -rf $(VENV); exit 1; }
	touch $@

# --- offline assets (MathJax 3, reveal.js) from npm -------------------------
assets: _extra/.installed
_extra/.installed: package.json package-lock.json
	@$(MAKE) --no-print-directory check-tools
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
# A change in mlhwlib changes what every notebook prints, but neither jupyter-cache
# (it hashes the code cells) nor Sphinx (the sources did not change) notices: clear
# both, so the next build reads and executes every notebook again.
_build/.lib-stamp: $(LIB_SOURCES) $(wildcard mlhwlib/data/*)
	mkdir -p _build
	rm -rf _build/.jupyter_cache _build/.doctrees
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
	$(MAKE) --no-print-directory slides notebooks $(if $(HAVE_LATEX),pdf)
	@# the PDF is published beside the site, which links it (when TeX is installed)
	$(if $(HAVE_LATEX),cp $(PDF_FILE) $(HTML)/$(PDF_NAME))
	@echo "Book built: $(CURDIR)/$(HTML)/index.html"

# --- the package and the notebook downloads ----------------------------------
# mlhwlib's wheel and sdist (version from mlhwlib/__init__.py), built from the lock's
# setuptools without an isolated environment.
dist: $(WHEEL)
$(WHEEL): $(LIB_SOURCES) $(wildcard mlhwlib/*/*.py mlhwlib/data/*) pyproject.toml README.md $(VENV)/.installed
	rm -rf dist build
	$(BIN)/python -m build --no-isolation --outdir dist . >/dev/null
	rm -rf build
	@echo "dist: $(WHEEL) $(SDIST)"

# Clean notebooks (plain Markdown, no MyST) and mlhw-notebooks.zip beside each site:
# after the site, whose numbers and anchors they read (tools/build_notebooks.py).
# Rebuilt only when a page, a notebook, the wheel or the converter changed (the student
# site's are rebuilt with it: _build/student/.built).
notebooks: $(HTML)/notebooks/.built
$(HTML)/notebooks/.built: $(WHEEL) $(NOTEBOOKS) tools/build_notebooks.py tools/myst_to_slides.py \
    tools/build_slides.py _config.yml LICENSE LICENSE-text.md $(wildcard $(HTML)/book/*.html)
	$(BIN)/python tools/build_notebooks.py --html $(HTML) --wheel $(WHEEL) $(NOTEBOOKS)
	touch $@

# The student edition: no solutions anywhere (pages, sources, search index, downloads).
book-student: _build/student/.built
_build/student/.built: _build/config-student.yml $(NOTEBOOKS) $(BOOK_SOURCES) \
    _extra/.installed _extra/slides/.built $(WHEEL) tools/build_notebooks.py LICENSE LICENSE-text.md
	rm -rf _build/student
	$(JB) build . $(JB_FLAGS) --config _build/config-student.yml --path-output _build/student
	$(BIN)/python tools/build_notebooks.py --student --html $(STUDENT_HTML) --wheel $(WHEEL) $(NOTEBOOKS)
	@# with TeX, the student PDF too, published beside the student site, which links it
	$(if $(HAVE_LATEX),$(MAKE) --no-print-directory pdf-student && cp $(STUDENT_PDF) $(STUDENT_HTML)/$(PDF_NAME))
	touch $@
	@echo "Student edition: $(CURDIR)/_build/student/_build/html/index.html"

# The PDF (xelatex through latexmk); see README for the Debian packages.
# Built again only when a source changed (`make book` builds it when TeX is installed).
PDF_FILE := _build/latex/mlhw-book.pdf
pdf: $(PDF_FILE)
$(PDF_FILE): $(NOTEBOOKS) $(BOOK_SOURCES) $(VENV)/.installed _build/.lib-stamp _build/.ext-stamp \
    $(if $(BOOK_CONFIG),_build/config-ci.yml)
	$(JB) build . --builder pdflatex $(JB_FLAGS) $(BOOK_CONFIG)
	@echo "PDF: $(CURDIR)/$(PDF_FILE)"

# The student PDF: no solutions (the student configuration, committed outputs).
STUDENT_PDF := _build/student-pdf/_build/latex/mlhw-book.pdf
pdf-student: $(STUDENT_PDF)
$(STUDENT_PDF): _build/config-student.yml $(NOTEBOOKS) $(BOOK_SOURCES) $(VENV)/.installed
	rm -rf _build/student-pdf
	$(JB) build . --builder pdflatex $(JB_FLAGS) --config _build/config-student.yml \
	  --path-output _build/student-pdf
	@echo "Student PDF: $(CURDIR)/$(STUDENT_PDF)"

test: book book-student assignments $(if $(HAVE_LATEX),pdf pdf-student) course
	$(BIN)/python -m pytest tests book --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -p no:cacheprovider --require-build

# Autograded assignments (otter-grader): `otter assign` on each master notebook
# assignments/<chapter>.ipynb (committed executed) into _build/assignments/<chapter>/
# (student/ and autograder/), after the site (references take its numbers: Exercise 3.3)
# and the wheel (in each student/ folder; mlhwlib inside each autograder zip); grading
# offline: see README "Assignments".
ASSIGNMENT_MASTERS := $(sort $(wildcard assignments/*.ipynb))
assignments: book $(WHEEL)
	@$(MAKE) --no-print-directory _build/assignments/.built
_build/assignments/.built: $(ASSIGNMENT_MASTERS) tools/build_assignments.py tools/grade_class.py \
    tools/myst_to_slides.py $(WHEEL) requirements.txt $(VENV)/.installed $(wildcard $(HTML)/book/*.html)
	rm -rf _build/assignments
	$(BIN)/python tools/build_assignments.py --out _build/assignments --html $(HTML) \
	  --wheel $(WHEEL) $(ASSIGNMENT_MASTERS)
	touch $@

# Everything a course needs, in one folder: both sites, both PDFs, the decks with their
# handouts, the assignments (student/ and autograder/), the notebook bundles, the wheel.
COURSE := _build/course
course: book book-student assignments $(if $(HAVE_LATEX),pdf pdf-student)
	$(BIN)/python tools/build_course.py --out $(COURSE) $(if $(HAVE_LATEX),,--no-pdf)

# The fast loop: the library tests only (marker `lib`, assigned in tests/conftest.py), in two
# pytest-xdist workers (`-n 2`), without the nbval plugin (it imports Jupyter's stack), at
# quick depth (MLHW_TEST_DEPTH=quick: every test, fewer random cases; `make test` runs the
# full depth); the torch tests share one worker (`--dist loadgroup`, xdist group `torch`),
# and pytest keeps its rewritten test modules even where PYTHONDONTWRITEBYTECODE is set
# (otherwise each worker rewrites every test module on each run). Its time is measured by benchmarks/test_speed.py
# into benchmarks/results_tests.json (README).
test-lib: $(VENV)/.installed
	MLHW_TEST_DEPTH=quick PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest tests -m lib -n 2 --dist loadgroup -q \
	  -p no:cacheprovider -p no:nbval

# The exact lock: requirements.txt from pyproject.toml's dependencies and its extras `book`,
# `course` and `test`, by pip-tools in a throwaway venv. Existing pins are kept; `make lock UPGRADE=1`
# moves every package to its newest allowed version. Commit both files together.
PIP_TOOLS := pip-tools==7.6.2
lock:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet "$(PIP_TOOLS)" && \
	CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" --quiet \
	  --extra book --extra course --extra test --strip-extras --allow-unsafe --annotation-style=line \
	  --no-emit-find-links --no-emit-index-url $(if $(UPGRADE),--upgrade) \
	  --output-file requirements.txt pyproject.toml
	@echo "requirements.txt regenerated: review the diff, then commit it with pyproject.toml"

# Each chapter is a pair (jupytext.toml): chapters/<chapter>.md, the MyST Markdown people
# edit and review, and book/<chapter>.ipynb, its executed notebook. `make sync` writes
# the notebooks' sources from the text (outputs and cell ids of unchanged cells kept);
# `make execute` then refreshes the outputs. tests/test_paired_notebooks.py fails when a pair differs.
sync: $(VENV)/.installed
	$(BIN)/python tools/sync_notebooks.py

sync-md: $(VENV)/.installed
	$(BIN)/python tools/sync_notebooks.py --to-md

# Executes the notebooks as they are: a pair out of step stops it first (run `make sync`
# after editing the text). Then streams are joined and figures stored as palette PNGs
# (tools/notebook_outputs.py): running it twice leaves no diff.
execute: $(VENV)/.installed
	@$(BIN)/python tools/sync_notebooks.py --check || { \
	  echo "make: a notebook and its chapters/*.md differ: \`make sync\` (you edited the text) or \`make sync-md\` (you edited the notebook) first" >&2; exit 1; }
	@for nb in $(NOTEBOOKS); do \
	  echo "executing $$nb"; \
	  $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=600 --NotebookClient.record_timing=False "$$nb" || exit 1; \
	done
	$(BIN)/python tools/notebook_outputs.py $(NOTEBOOKS)

# The notebooks alone: nbval (each notebook re-executed and compared with its committed
# outputs), both numeric profiles, the checking cells and the notebooks' structure. No build.
test-notebooks: $(VENV)/.installed
	$(BIN)/python -m pytest tests book -m notebook --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -q -p no:cacheprovider

# Lighthouse and axe-core in Chromium on every page: a report (scores vary by machine).
audit: book
	$(BIN)/python tools/site_audit.py --html $(HTML) --out benchmarks/audit

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_all.py

serve: book
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory $(HTML) 8000

clean:
	rm -rf _build _extra .pytest_cache dist build

distclean: clean
	rm -rf $(VENV) node_modules

# Two commands set up a fresh machine: `make demo` (the whole pipeline on shipped example data)
# and `make test` (the whole test suite). Both create .venv/ and work when run again.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Bytecode records where it was compiled: compile a runtime as the sandbox shows it.
COMPILE_AS_SHOWN = $(BIN)/python -c 'import sys; from grader.engine.shown_runtime import compile_as_shown; compile_as_shown(sys.argv[1])'
# ... and the Python it was made from, once per machine (its stdlib's bytecode, libpython, ...):
# a layer in the virtualenv's shown-base/, about 230 MB, 10-20 s.
BUILD_SHOWN_BASE = $(BIN)/python -c 'import sys; from grader.engine.shown_base import build_shown_base; build_shown_base(sys.argv[1])'
# ... and matplotlib's list of the system's fonts, which each warm start would otherwise make.
BUILD_FONT_LIST = $(BIN)/python -c 'import sys; from grader.engine.fontlist import build_font_list; build_font_list(sys.argv[1])'
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out
# Debian packages the product runs on: the sandbox (bwrap), PDF rendering checks (poppler),
# and fonts with Devanagari and Greek glyphs for reports. The report tests make PDFs the way
# students do: pdflatex (article, report, IEEEtran), pandoc, LibreOffice from .docx (~2 min);
# the dashboard's tests drive Debian's chromium.
SYSTEM_TOOLS := bwrap pdftoppm pdftotext pdffonts pdflatex pandoc soffice chromium openssl
SYSTEM_PACKAGES := bubblewrap poppler-utils fonts-dejavu-core fonts-noto-core \
	texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-publishers \
	lmodern pandoc libreoffice-writer-nogui chromium openssl

.PHONY: demo test lint tox system-deps venv clean projects-runtime

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml grader/engine/shown_runtime.py grader/engine/shown_base.py \
		grader/engine/fontlist.py
	@$(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	$(COMPILE_AS_SHOWN) $(VENV)
	$(BUILD_SHOWN_BASE) $(VENV)
	$(BUILD_FONT_LIST) $(VENV)
	touch $(STAMP)

system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing=yes; done; \
	[ -d /usr/share/fonts/truetype/noto ] || missing=yes; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages: $(SYSTEM_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system tools. Run: sudo apt-get install $(SYSTEM_PACKAGES)"; exit 1; \
	  fi; \
	fi

demo: $(STAMP)
	$(BIN)/python -m grader.demo --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

tox: $(STAMP)
	$(BIN)/tox

clean:
	rm -rf $(VENV) $(PROJECTS_VENV) $(DEMO_OUT) release .tox .pytest_cache .ruff_cache .hypothesis

# The projects' Colab-like runtime (issue 14): a separate venv that runs project notebooks in the
# sandbox (pandas, scikit-learn, seaborn, TensorFlow/Keras CPU, torch CPU, ...). Built only when
# project grading is used: about 3 GB, 3-6 minutes. Rebuilt when either requirements file changes.
PROJECTS_VENV := .venv-projects
PROJECTS_STAMP := $(PROJECTS_VENV)/.installed
PROJECTS_REQUIREMENTS := runtimes/colab-projects.txt assignments/projects/runtime-requirements.txt

projects-runtime: $(PROJECTS_STAMP)

$(PROJECTS_STAMP): $(PROJECTS_REQUIREMENTS) | $(STAMP)
	rm -rf $(PROJECTS_VENV)
	$(PYTHON) -m venv $(PROJECTS_VENV)
	$(PROJECTS_VENV)/bin/pip install --quiet --disable-pip-version-check $(foreach f,$(PROJECTS_REQUIREMENTS),-r $(f))
	$(COMPILE_AS_SHOWN) $(PROJECTS_VENV)
	$(BUILD_SHOWN_BASE) $(PROJECTS_VENV)
	$(BUILD_FONT_LIST) $(PROJECTS_VENV)
	touch $(PROJECTS_STAMP)
	@du -sh $(PROJECTS_VENV)

# Two commands set up a fresh machine: `make demo` (the whole pipeline on shipped example data)
# and `make test` (the whole test suite). Both create .venv/ and work when run again.
# The python3 found on PATH (3.11.2 or later, Debian 12's: the oldest the lock is checked
# against, by tests/install/test_install_declared.py); `make PYTHON=python3.12 ...` picks another.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-out
# Debian packages the product runs on: the sandbox (bwrap) and PDF rendering checks (poppler).
# The reports' fonts come with the wheel (grader/pdf/font_files/) and matplotlib.
RUNTIME_TOOLS := bwrap pdftoppm pdftotext pdffonts
RUNTIME_PACKAGES := bubblewrap poppler-utils
# ... and what only the tests use: they make PDFs the way students do (pdflatex with article,
# report and IEEEtran; pandoc; LibreOffice from .docx), drive Debian's chromium for the
# dashboard, make certificates with openssl, and install the wheel into a virtualenv of
# Debian's own Python (python3-venv), and serve a real IMAP mailbox (Dovecot). Noto and DejaVu
# are for the pages chromium and LibreOffice draw; fonts-liberation is Colab's one font package,
# all that tests/colab/ leaves visible to the student's commands. gcc builds libseccomp's own
# filter simulator from Debian's source of the installed libseccomp (tests/kits/bpf_sim_kit.py).
TEST_TOOLS := pdflatex pandoc soffice chromium openssl /usr/bin/python3 /usr/sbin/dovecot gcc
TEST_PACKAGES := gcc texlive-latex-base texlive-latex-recommended texlive-fonts-recommended \
	texlive-publishers lmodern pandoc libreoffice-writer-nogui chromium openssl python3-venv \
	dovecot-imapd fonts-dejavu-core fonts-noto-core fonts-liberation

PKG ?=

.PHONY: demo test test-quick lint tox docs screenshots system-deps test-deps python-check venv clean projects-runtime

venv: $(STAMP)

# pip compiles nothing (--no-compile): `grader setup` compiles every module of the venv, as the
# sandbox shows it, on every core; pip's compile, one file after another, was done twice. The
# checkout is built by the lock's own setuptools and setuptools-scm (pyproject's build
# requirements, installed first from the lock's pins): pip's isolated build environment
# installed them again (4 s). It is built before the rest of the lock is installed: in a tree
# without .git (GitHub's ZIP, `git archive`) setuptools-scm lists every file under the tree,
# .venv included, and pip's three build steps listed torch's and the rest's 40,000 files
# (an archive's first `make`: 16.6 s of CPU for the checkout's build, 3.0 s before the lock).
BUILD_PINS := $$(grep -iE '^(setuptools|setuptools-scm|vcs-versioning|packaging)==' requirements.txt)
$(STAMP): requirements.txt pyproject.toml setup.py
	@$(MAKE) --no-print-directory system-deps python-check
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile $(BUILD_PINS)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	$(BIN)/grader setup
	touch $(STAMP)

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11, 2) else 1)' 2>/dev/null || { \
	  echo "$(PYTHON) is $$($(PYTHON) --version 2>&1 || echo missing): the grader needs Python 3.11.2 or later;" \
	       "install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@echo "Using $$(command -v $(PYTHON)) ($$($(PYTHON) --version))"

system-deps:
	@$(call install_debian,$(RUNTIME_TOOLS),$(RUNTIME_PACKAGES),true)

LIBERATION := [ -d /usr/share/fonts/truetype/liberation ] || missing=yes
# The runtime's packages with the tests' in one apt run (`make test` asks for this first, so
# the venv's system-deps then finds them): one index update, one install, not two of each.
test-deps:
	@$(call install_debian,$(RUNTIME_TOOLS) $(TEST_TOOLS),$(RUNTIME_PACKAGES) $(TEST_PACKAGES),$(LIBERATION))

# $(call install_debian,TOOLS,PACKAGES,EXTRA-CHECK): install PACKAGES when a tool is missing
# (as root), or say which command installs them. Without the packages' recommendations: what
# they add (texlive-latex-extra, texlive-pictures, mupdf-tools, ruby, samba's libraries, 142
# packages, 161 MB to fetch and 506 MB installed, for the tests' list) is used by nothing here,
# and doubled the install's time (from apt's cache, on a 2-core machine: 81 s, 42 s without).
define install_debian
missing=""; for t in $(1); do command -v $$t >/dev/null || missing=yes; done; $(3); \
if [ -n "$$missing" ]; then \
  if [ "$$(id -u)" = 0 ]; then \
    echo "Installing Debian packages: $(2)"; \
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
  else \
    echo "Missing system tools. Run: sudo apt-get install --no-install-recommends $(2)"; exit 1; \
  fi; \
fi
endef

demo: $(STAMP)
	$(BIN)/python -m grader.demo --out $(DEMO_OUT)

# The checkout's own modules compiled ahead: where PYTHONDONTWRITEBYTECODE is set (as on CI),
# each of the thousands of Python processes the tests start (every `grader` command, each
# module imported alone) would compile them again. Only what changed since is compiled.
BYTECODE := $(BIN)/python -m compileall -q -j 0 grader reference_lstm assignments benchmarks tests

# Three test processes on CI's two cores: a test often waits (a cell's time limit, a server's
# answer, a child's exit) and two processes left the cores idle 11% of the run; with three they
# are busy 99% of it (a whole run on a 2-core machine: 1,604 s on two, 1,451 s on three).
test: test-deps $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m pytest -n 3 --dist loadfile --durations=20

# The inner loop: the quick tests (not marked slow) of the package you touch, on two processes,
# with the structure tests (layers, import cycles, module sizes, docstrings); e.g.
# `make test-quick PKG=intake` or `PKG=engine/walls`. Without PKG, the structure tests only.
# CI keeps running `make test` whole.
QUICK_STRUCTURE := tests/test_module_size.py tests/test_layers.py tests/test_import_cycles.py \
	tests/test_package_docstrings.py tests/test_names.py tests/test_one_name_each.py
test-quick: $(STAMP)
	$(BYTECODE)
	$(BIN)/python -m pytest -q -n 2 -m "not slow" $(if $(PKG),tests/$(PKG)) $(QUICK_STRUCTURE)

# The documentation site (docs/, Sphinx with MyST), built offline into docs/_build/html/ as
# strictly as `make test` builds it: a warning or a broken internal link is an error.
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -n -b html docs docs/_build/html
	@echo "Open docs/_build/html/index.html"

# The docs' pictures of the dashboard and a feedback page, made again from the demo course
# (chromium, as `make test` installs it).
screenshots: $(STAMP) test-deps
	$(BIN)/python docs/screenshots.py

# mypy checks grader/ as pyproject.toml's [tool.mypy] says (zero errors).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

tox: $(STAMP)
	$(BIN)/tox

clean:
	rm -rf $(VENV) $(PROJECTS_VENV) $(DEMO_OUT) docs/_build release .tox .pytest_cache .ruff_cache .mypy_cache .hypothesis

# The projects' Colab-like runtime (issue 14): a separate venv that runs project notebooks in the
# sandbox (pandas, scikit-learn, seaborn, TensorFlow/Keras CPU, torch CPU, ...). Built only when
# project grading is used: about 3 GB, 3-6 minutes. Rebuilt when either requirements file changes.
# An installed grader builds it the same way: `grader setup --projects`.
PROJECTS_VENV := .venv-projects
PROJECTS_STAMP := $(PROJECTS_VENV)/.installed
PROJECTS_REQUIREMENTS := runtimes/colab-projects.txt assignments/projects/runtime-requirements.txt

projects-runtime: $(PROJECTS_STAMP)

$(PROJECTS_STAMP): $(PROJECTS_REQUIREMENTS) | $(STAMP)
	$(BIN)/grader setup --projects --course assignments/course.toml --runtime $(PROJECTS_VENV)
	@du -sh $(PROJECTS_VENV)

"""The image's build, one shell script for both platforms (Gradescope's ``setup.sh``,
PrairieLearn's Dockerfile runs it): a Python the grader supports installed beside the system's
``python3`` (never replaced: Gradescope's own harness runs on it), the grader's own wheel with
the runtime the notebooks run in, then the sandbox prepared (``grader setup``), so that a
submission's run starts warm. The carried course is made root's alone, and the sandbox checked
with the trial notebook once (:mod:`grader.platforms.build_check`) where the image holds it."""

from __future__ import annotations

VENV = "/opt/lstm-grader"  # the grader's own Python, beside the system's
PYTHONS = ("3.13", "3.12", "3.11")  # those the grader supports, newest first
PPA_PYTHON = "3.12"  # installed from the deadsnakes PPA where the image has none of them
INSIDE = "grader.platforms.inside"


def build_script(course: str, platform: str) -> str:
    """``setup.sh``: run once as root, from the folder holding the wheel; ``course``: the
    carried course's folder, relative to it, where the image holds it (``platform``'s checks
    are then made once, here: :mod:`grader.platforms.build_check`)."""
    versions = " ".join(PYTHONS)
    return f"""#!/usr/bin/env bash
# Made by `grader autograder`: installs the grader and prepares its sandbox, once, as root.
set -euo pipefail
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
python=""
for version in {versions}; do
  found="$(command -v "python$version" || true)"
  if [ -n "$found" ] && "$found" -c "import venv, ensurepip" 2>/dev/null; then
    python="$found"
    break
  fi
done
if [ -z "$python" ] && command -v apt-get >/dev/null; then
  echo "setup.sh: no Python {PYTHONS[-1]} or newer with venv here: installing Python {PPA_PYTHON}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends software-properties-common gpg-agent
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update
  apt-get install -y --no-install-recommends python{PPA_PYTHON} python{PPA_PYTHON}-venv
  python="$(command -v python{PPA_PYTHON})"
fi
if [ -z "$python" ]; then
  echo "setup.sh: the grader needs Python {PYTHONS[-1]} or newer, and this image has neither" \\
    "one nor apt-get to install one" >&2
  exit 1
fi
echo "setup.sh: the grader's Python is $python ($("$python" --version)); python3 stays the system's"
"$python" -m venv {VENV}
wheel="$(ls "$here"/lstm_course_grader-*.whl)"
{VENV}/bin/python -m pip install --disable-pip-version-check --no-compile "$wheel[instructor]"
{VENV}/bin/grader setup || echo "setup.sh: the sandbox's namespaces cannot be made here;" \\
  "each run raises the walls that remain and says which in its log"
if [ -d "$here/{course}" ]; then
  chmod -R go-rwx "$here/{course}"
  # the sandbox checked and the trial notebook run once here, not at each submission
  {VENV}/bin/python -m {INSIDE} --build {platform} "$here/{course}"
fi
echo "setup.sh: done"
"""


def run_script(platform: str, root: str, unstarted: str) -> str:
    """The per-submission command (``run_autograder``, PrairieLearn's entrypoint); where the
    grader cannot even start (a broken build), ``unstarted`` (a results document) is written,
    so the platform shows why, and the command still exits 0."""
    return f"""#!/bin/sh
# Made by `grader autograder`: grades the submission in {root}, writes {root}/results/results.json.
if ! {VENV}/bin/python -m {INSIDE} {platform} {root}; then
  echo "the grader could not start: see the build's log (setup.sh)"
  mkdir -p {root}/results
  cat > {root}/results/results.json <<'UNSTARTED'
{unstarted}
UNSTARTED
fi
exit 0
"""

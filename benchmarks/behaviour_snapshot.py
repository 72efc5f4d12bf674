"""What grading gives, written so two versions of the code can be compared with `diff -r`:
the grades, `results.json` and feedback pages of every assignment's samples, of the diagnosis
corpus (tests/kits/diagnosis_corpus.py) and of the real Colab notebooks in ../shared/corpus/colab
(graded as lstm_gates hand-ins). Each `grader grade` runs behind a second fence.

    .venv/bin/python benchmarks/behaviour_snapshot.py OUT
    diff -r BEFORE AFTER

Timings (which differ on every run) are left out, and so are the pages of the notebooks in
:data:`VARY_BY_RUN` (their grades.csv rows stay); everything else is written as graded.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from diagnosis_tally import FENCE, grade_corpus  # noqa: E402

ASSIGNMENTS = ROOT / "assignments"
EXAMPLES = ROOT / "examples"
COLAB = ROOT.parent / "shared" / "corpus" / "colab"
SEED = "7"
# Keys whose values are times of this run, not what was graded.
TIMING_KEYS = {"duration_s", "phases", "graded_at", "started", "finished"}
# Submissions whose results differ between two runs of the same code, and why.
VARY_BY_RUN = {
    "colab/CaptainE": "its training cells run close to the cell limit: the load decides the cut",
    "diagnosis/lstm_gates/random-input-gate": "it draws random numbers (the mistake it shows)",
}
TIMES_IN_TEXT = re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds)\b|\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?")


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def grade(assignment: str, notebooks: list[Path], out: Path) -> None:
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
    command += [str(ASSIGNMENTS / assignment), "--out", str(out), "--seed", SEED]
    command += ["--workers", "2", *map(str, notebooks)]
    done = subprocess.run([*FENCE, *command], capture_output=True, text=True, cwd=ROOT)
    if done.returncode not in (0, 1):  # 1: some notebook could not be graded; kept as such
        raise SystemExit(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")


def keep(graded: Path, snapshot: Path) -> int:
    """Copy what grading wrote under ``graded`` into ``snapshot``, timings left out."""
    kept = 0
    for path in sorted(graded.rglob("*")):
        target = snapshot / path.relative_to(graded)
        if any(
            part in VARY_BY_RUN for part in map(str, target.relative_to(snapshot.parent).parents)
        ):
            continue
        if path.name == "results.json":
            data = _without_timings(json.loads(path.read_text()))
            text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        elif path.name in ("grades.csv", "feedback.html") or path.suffix == ".md":
            text = TIMES_IN_TEXT.sub("<time>", path.read_text())
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        kept += 1
    return kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the snapshot's folder (made afresh)")
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="behaviour-") as scratch:
        work = Path(scratch)
        for folder in sorted(EXAMPLES.iterdir()):
            samples = sorted(folder.glob("*.ipynb"))
            if samples and (ASSIGNMENTS / folder.name).is_dir():
                grade(folder.name, samples, work / "samples" / folder.name)
        colab = work / "colab-notebooks"
        colab.mkdir()
        for path in sorted(COLAB.glob("*.ipynb")):  # read where they lie; named by author
            (colab / f"{path.name.split('__')[0]}.ipynb").symlink_to(path)
        grade("lstm_gates", sorted(colab.glob("*.ipynb")), work / "colab")
        _, diagnosis = grade_corpus(work / "diagnosis", workers=2)
        kept = keep(work / "samples", args.out / "samples")
        kept += keep(work / "colab", args.out / "colab")
        kept += keep(diagnosis, args.out / "diagnosis")
    print(f"{kept} files in {args.out}, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``grader similarity``'s flags, and the run they start."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="student folders, collect's folder, zips, notebooks",
    )
    parser.add_argument("--out", required=True, help="folder for pairs.csv and the page")
    parser.add_argument(
        "--against", nargs="*", default=[], metavar="CORPUS_DIR", help="folders of public work"
    )
    parser.add_argument(
        "--release", nargs="*", default=[], metavar="NOTEBOOK", help="the released notebooks"
    )
    parser.add_argument(
        "--assignment",
        default=None,
        metavar="FOLDER",
        help="an assignment released per student (grader assign --per-student): flag each "
        "hand-in whose notebook is not its student's own",
    )


def cli(args: argparse.Namespace) -> int:
    from grader.similarity.search import SearchProgress, run  # numpy and PDF reading: when run

    result = run(
        [Path(p) for p in args.paths],
        Path(args.out),
        against=[Path(p) for p in args.against],
        release=[Path(p) for p in args.release],
        progress=SearchProgress(),
        assignment=Path(args.assignment) if args.assignment else None,
    )
    for calibration in result.findings.calibrations:
        print(calibration.explain())
    print(
        f"{result.students} students: {result.flagged_pairs} pairs flagged in "
        f"{len(result.groups)} group(s), {result.public_reports} against public sources.\n"
        f"Wrote {result.csv} and {result.page}"
    )
    return 0

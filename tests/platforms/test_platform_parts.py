"""The platforms' parts that need no container: the results formats made from the grader's own
results, the submitter named by the roster, the upload laid out as ``grader grade`` takes it,
the wheel's tags, the export's refusals."""

from __future__ import annotations

import io
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from platform_course import copied_course
from platform_harness import validate_gradescope_results, validate_prairielearn_results

from grader.cli import main
from grader.course.config import load_course
from grader.feedback.export import is_plain_name
from grader.limits import PLATFORMS, MiB
from grader.platforms import results_formats
from grader.platforms.build_check import BuildCheck, read_record, write_record
from grader.platforms.carried import Carried, carry
from grader.platforms.container_memory import container_memory
from grader.platforms.prairielearn_export import grading_timeout
from grader.platforms.upload import laid_out, student_of
from grader.platforms.wheel import compressed_tag, grader_wheel
from grader.roster import Roster, load_roster

DOCUMENT = {
    "score": 7.5,
    "output": "7.5 / 10 points.\n  lstm_step: 2.5 / 5\n    the forget gate uses tanh",
    "tests": [
        {"name": "gates", "score": 5.0, "max_score": 5.0, "status": "passed", "output": "ok"},
        {"name": "lstm_step", "score": 2.5, "max_score": 5.0, "status": "failed", "output": "x"},
    ],
    "extra_data": {"schema": 1, "student": "asha", "seed": 12345, "fix": {"lstm_step": "..."}},
}


def test_gradescope_gets_the_graders_words_as_text_and_no_seed():
    made = results_formats.gradescope(DOCUMENT, 3.25)
    validate_gradescope_results(made)
    assert made["score"] == 7.5 and made["output"] == DOCUMENT["output"]
    assert [t["output"] for t in made["tests"]] == ["ok", "x"]
    assert made["output_format"] == made["test_output_format"] == "text"
    assert "seed" not in made["extra_data"] and made["execution_time"] == 3.25


def test_prairielearn_gets_the_fraction_and_every_tests_points():
    made = results_formats.prairielearn(DOCUMENT)
    validate_prairielearn_results(made)
    assert made["score"] == 0.75 and made["gradable"] is True
    assert [(t["points"], t["max_points"]) for t in made["tests"]] == [(5.0, 5.0), (2.5, 5.0)]


def test_what_cannot_be_graded_says_why_on_either_platform():
    validate_gradescope_results(results_formats.gradescope_refused("no notebook", 0.5))
    refused = results_formats.prairielearn_refused("no notebook")
    validate_prairielearn_results(refused)
    assert refused["gradable"] is False and refused["format_errors"] == ["no notebook"]
    for platform in ("gradescope", "prairielearn"):
        assert results_formats.UNSTARTED in results_formats.unstarted(platform)


ROSTER = (
    "id,name,email,role\nCS21B042,Asha Verma,asha@example.edu,student\nta1,TA,ta@example.edu,ta\n"
)


@pytest.fixture
def roster(tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER)
    return load_roster(tmp_path / "roster.csv")


def test_the_submitter_is_named_by_email_else_by_id(roster):
    assert student_of([{"email": "ASHA@example.edu", "sid": ""}], roster) == "CS21B042"
    assert student_of([{"email": "other@x.org", "sid": "cs21b042"}], roster) == "CS21B042"
    assert student_of([{"email": "ta@example.edu"}], roster) == "ta@example.edu"  # staff
    assert student_of([], roster) == "student"


@given(st.lists(st.fixed_dictionaries({"email": st.text(), "sid": st.text()}), max_size=3))
@settings(max_examples=60, deadline=None)
def test_any_submitters_name_a_plain_folder(users):
    roster = load_roster_text(ROSTER)
    assert is_plain_name(student_of(users, roster))


def load_roster_text(text: str) -> Roster:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "roster.csv").write_text(text)
        return load_roster(Path(folder) / "roster.csv")


NAMES = st.sampled_from(["a.ipynb", "b.IPYNB", "bundle.zip", "x.zip", "notes.py", "d/c.ipynb"])


@given(st.sets(NAMES, max_size=4))
@settings(max_examples=40, deadline=None)
def test_an_upload_is_its_folder_unless_a_lone_zip_is_all_it_holds(names):
    with tempfile.TemporaryDirectory() as scratch:
        upload, into = Path(scratch) / "upload", Path(scratch) / "in"
        for name in names:
            (upload / name).parent.mkdir(parents=True, exist_ok=True)
            (upload / name).write_bytes(b"x")
        upload.mkdir(exist_ok=True)
        handed = laid_out(upload, "CS21B042", into)
        zips = [n for n in names if n.endswith(".zip")]
        lone_zip = not any(n.lower().endswith(".ipynb") for n in names) and len(zips) == 1
        assert handed == (into / "CS21B042.zip" if lone_zip else into / "CS21B042")
        if not lone_zip:
            assert sorted(p.relative_to(handed).as_posix() for p in handed.rglob("*.*")) == sorted(
                names
            )


def test_a_wheels_tags_are_compressed_as_its_file_name_says_them():
    assert compressed_tag(["py2-none-any", "py3-none-any"]) == "py2.py3-none-any"
    tags = ["cp311-cp311-manylinux_2_27_x86_64", "cp311-cp311-manylinux_2_28_x86_64"]
    assert compressed_tag(tags) == "cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64"


def _cgroup_files(root: Path, membership: str, files: dict[str, str]) -> Path:
    (root / "proc-self-cgroup").write_text(membership)
    for name, text in files.items():
        (root / "cgroup" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "cgroup" / name).write_text(text)
    return root / "proc-self-cgroup"


@pytest.mark.parametrize(
    ("membership", "files", "expected_mib"),
    [
        # v2, the container's cgroup at the mount's root (a private cgroup namespace)
        ("0::/\n", {"memory.max": f"{768 * MiB}\n"}, 768),
        # v2, a child tighter than its parent; "max" is no limit
        ("0::/a/b\n", {"a/memory.max": "max\n", "a/b/memory.max": f"{600 * MiB}\n"}, 600),
        # v1: the host's path for the container, whose own cgroup is the mount's root
        (
            "4:memory:/docker/abc\n3:cpu:/docker/abc\n",
            {"memory/memory.limit_in_bytes": f"{1024 * MiB}\n"},
            1024,
        ),
        # v1 with no limit (2**63 rounded to pages): the platform's default
        ("4:memory:/\n", {"memory/memory.limit_in_bytes": "9223372036854771712\n"}, 768),
        # no cgroup file readable: the platform's default
        ("0::/\n", {}, 768),
    ],
)
def test_the_students_memory_is_what_the_container_leaves_after_the_grader(
    tmp_path, membership, files, expected_mib
):
    listed = _cgroup_files(tmp_path, membership, files)
    memory = container_memory(768 * MiB, tmp_path / "cgroup", listed)
    assert memory.total_bytes == expected_mib * MiB
    assert memory.student_bytes == (expected_mib * MiB) - PLATFORMS.grader_memory_bytes
    line = memory.line(2048 * MiB)
    assert f"may hold {(memory.student_bytes) // MiB} MiB" in line
    assert "less than the assignment's 2048 MiB" in line
    assert "the assignment's" in memory.line(100 * MiB) and "may hold 100 MiB" in memory.line(
        100 * MiB
    )


def test_the_builds_check_is_read_only_by_a_run_of_the_same_build(tmp_path):
    course = load_course(copied_course(tmp_path / "c"))
    carried = Carried.at(carry(course, "lstm_gates", tmp_path / "source"))
    assert read_record(carried, 512 * MiB)[0] is None  # none made: the run checks
    write_record(carried, 512 * MiB, BuildCheck(namespaces=False, trial_s=6.5))
    found, said = read_record(carried, 512 * MiB)
    assert found == BuildCheck(False, 6.5) and "checked at the build" in said
    other, said = read_record(carried, 1024 * MiB)  # the container's memory changed since
    assert other is None and "another build's" in said
    (carried.assignment_dir / "grading.py").write_text("# changed\n")
    assert read_record(carried, 512 * MiB)[0] is None
    (carried.folder / "build-check.json").write_text("{")
    broken, said = read_record(carried, 512 * MiB)
    assert broken is None and "unreadable" in said


def test_the_grading_timeout_fits_the_notebook_within_prairielearns_ceiling():
    assert grading_timeout(60) == 90
    assert grading_timeout(900) == PLATFORMS.grading_most_s


def test_the_export_refuses_what_it_cannot_make_in_one_line(tmp_path):
    course = copied_course(tmp_path)
    for argv, said in (
        (["nope", "--for", "gradescope", "--out", "a.zip"], "no component 'nope'"),
        (["project1", "--for", "gradescope", "--out", "a.zip"], "project component"),
        (["lstm_gates", "--for", "gradescope", "--out", "a.tar"], "name the zip"),
    ):
        err = io.StringIO()
        with redirect_stderr(err):
            code = main(["autograder", *argv, "--course", str(course)])
        assert code == 2 and said in err.getvalue(), err.getvalue()
        assert "Traceback" not in err.getvalue()


def test_the_zip_holds_its_scripts_at_its_root_and_the_course_private(tmp_path):
    course = copied_course(tmp_path / "c")
    out = tmp_path / "autograder.zip"
    assert (
        main(
            [
                "autograder",
                "lstm_gates",
                "--for",
                "gradescope",
                "--out",
                str(out),
                "--course",
                str(course),
            ]
        )
        == 0
    )
    with zipfile.ZipFile(out) as made:
        names = made.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in made.infolist()}
    assert {"setup.sh", "run_autograder"} <= set(names)
    assert modes["run_autograder"] & 0o111 and modes["course/variants/secret.key"] == 0o600
    assert any(n.startswith("lstm_course_grader-") and n.endswith(".whl") for n in names)


def test_two_exports_at_once_both_carry_the_whole_grader(tmp_path):
    """Gradescope's and PrairieLearn's exports side by side, from this checkout: each builds
    the grader's wheel in the checkout's own build/ folder, and neither may delete what the
    other is packing."""
    outs = [tmp_path / "gradescope", tmp_path / "prairielearn"]
    for out in outs:
        out.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        wheels = list(pool.map(grader_wheel, outs))
    listed = [sorted(zipfile.ZipFile(wheel).namelist()) for wheel in wheels]
    assert listed[0] == listed[1]
    assert "grader/platforms/wheel.py" in listed[0]

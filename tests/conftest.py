"""What the tests of more than one package share.

The tests are laid out as grader/ is: tests/<package>/ for each of its packages (tests/engine/,
tests/grading/, ...), tests/test_<module>.py for a module beside them, tests/assignments/ and
tests/reference_lstm/ for those folders of the checkout, and tests/install/ for the product as
users install it. The helper modules ("kits": loopback servers, real courses, mail as clients
write it, the pid fence) live in tests/kits/ and are imported by their bare names
(`from web_kit import serving`): pyproject.toml's pytest options put tests/kits on the path.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

pytest_plugins = ["time_per_file"]  # where the suite's time goes, printed at its end

# `make test` runs the suite on three processes (pytest-xdist, `-n 3 --dist loadfile`): each file
# on one process, so a module's fixtures (a built wheel, a graded course, a browser) are made
# once. The files below start first, longest first, so that no long file is left to run alone at
# the end (the rest follow in the usual order); a file missing here only starts later.
LONGEST_FIRST = (  # as CI's "time per test file" ranked them at the last landing
    "tests/install/test_install.py",
    "tests/platforms/test_gradescope.py",
    "tests/install/test_term_scale.py",
    "tests/web/test_accessibility.py",
    "tests/scoring/test_selfcheck_agreement.py",
    "tests/install/test_source_trees.py",
    "tests/watch/test_watch.py",
    "tests/grading/test_grade.py",
    "tests/engine/run/test_warm_start.py",
    "tests/grading/test_same_hand_in_same_seed.py",
    "tests/engine/walls/test_sandbox_hostile.py",
    "tests/watch/test_requests.py",
    "tests/grading/test_one_student_against_another.py",
    "tests/install/test_install_declared.py",
    "tests/watch/test_watch_then_grade.py",
    "tests/colab/test_colab_replica.py",
    "tests/scoring/test_uncatalogued_corpus.py",
    "tests/install/test_upgrade.py",
    "tests/test_killed_anywhere.py",
    "tests/web/test_browser.py",
    "tests/scoring/test_diagnosis_corpus.py",
    "tests/lms/test_lti_failures.py",
    "tests/platforms/test_gradescope_variants.py",
    "tests/platforms/test_prairielearn.py",
    "tests/test_import_each.py",
    "tests/install/test_student_install.py",
    "tests/web/test_http.py",
    "tests/engine/run/test_colab_corpus.py",
    "tests/install/test_grader_faults.py",
)
# Files that run as the tests' one ordinary user (sandbox_fence.ORDINARY_UID) under a process
# limit for that whole user: they run on one process, one after another, or one file's
# processes would count against another's limit.
ONE_USER = frozenset(
    {
        "tests/grading/test_one_student_against_another.py",
        "tests/engine/walls/test_processes_without_cgroups.py",
        "tests/engine/walls/test_memory_without_cgroups.py",
    }
)


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the processes of a parallel run, the longest files first (:data:`LONGEST_FIRST`); a
    run on one process keeps the usual order."""
    if not hasattr(config, "workerinput"):
        return
    ahead = {name: rank for rank, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: ahead.get(_file_of(item.nodeid), len(ahead)))


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection loaded (every test module, the libraries they import, the items) lives
    for the whole run: frozen out of the collector's sight. Each full collection a test
    process set off walked it again (a million objects by the end: 0.44 s of CPU each, 25 s of
    the two processes' 218 s in a whole run); frozen, they are more often but cheaper (0.15 s
    each, 18 s in all)."""
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN201 (xdist's own types)
    """`--dist loadfile`, the ordinary user's files counted as one file, in the order the
    processes collected them (not xdist's largest-first count of tests)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ByFileOneUserTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = _file_of(nodeid)
            return "the ordinary user's files" if file in ONE_USER else file

        def _reschedule(self, node) -> None:  # noqa: ANN001 (xdist's own type)
            """A process is given its next file as its last test starts (a process runs a test
            once it knows the next). xdist gives it at two tests left: at the start, the process
            with test_install.py's two tests was given the term's file too, the two longest
            files one after the other on one process while the other took the short ones."""
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    config.option.loadscopereorder = False
    return ByFileOneUserTogether(config, log)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and its key for a TLS server on loopback (127.0.0.1)."""
    # Imported here: tests/install/ runs the sandbox's tests in an install without the mail
    # servers' packages, and every test module loads this file.
    from smtp_kit import make_certificate

    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(autouse=True)
def _each_test_a_run_of_its_own(monkeypatch):
    """The missing-cgroup warning is said once per run: the run marks it said in its own
    environment, which its graders inherit. Tests grade in one pytest process, so the mark one
    test leaves must not silence the warning a later test's run is to say."""
    monkeypatch.delenv("GRADER_WARNED_NO_CGROUP", raising=False)

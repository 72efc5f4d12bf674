"""What the tests of more than one package share.

The tests are laid out as grader/ is: tests/<package>/ for each of its packages (tests/engine/,
tests/grading/, ...), tests/test_<module>.py for a module beside them, tests/assignments/ and
tests/reference_lstm/ for those folders of the checkout, and tests/install/ for the product as
users install it. The helper modules ("kits": loopback servers, real courses, mail as clients
write it, the pid fence) live in tests/kits/ and are imported by their bare names
(`from web_kit import serving`): pyproject.toml's pytest options put tests/kits on the path.
"""

from __future__ import annotations

from pathlib import Path

import pytest


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

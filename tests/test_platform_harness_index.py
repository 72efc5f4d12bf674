"""The local package index made from the running environment (platform_harness's
environment_index) installs, with the network off (--no-index), the very versions the
environment has."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from platform_harness.environment_index import environment_index


def test_the_environments_packages_install_from_the_index_alone(tmp_path):
    index = environment_index("pyyaml", "python-dateutil")
    names = {wheel.name.split("-")[0] for wheel in index.iterdir()}
    needed = {  # dateutil's own dependencies come with it, as installed here
        canonicalize_name(Requirement(text).name).replace("-", "_")
        for text in importlib.metadata.requires("python-dateutil") or []
        if Requirement(text).marker is None or Requirement(text).marker.evaluate({"extra": ""})
    }
    assert names == {"pyyaml", "python_dateutil", *needed}
    installed = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(index),
         "--target", str(installed), "--disable-pip-version-check", "pyyaml", "python-dateutil"],
        check=True,
    )  # fmt: skip
    versions = subprocess.run(
        [sys.executable, "-I", "-c",
         f"import sys; sys.path.insert(0, {str(installed)!r}); import yaml, dateutil; "
         "print(yaml.__file__.startswith(sys.path[0]), yaml.__version__, dateutil.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert versions == [
        "True",
        importlib.metadata.version("pyyaml"),
        importlib.metadata.version("python-dateutil"),
    ]


def test_the_index_is_made_once_per_environment():
    assert environment_index("pyyaml") == environment_index("PyYAML")


def test_a_requirement_the_environment_lacks_is_named():
    with pytest.raises(LookupError, match="no-such-package-here is needed but not installed"):
        environment_index("no-such-package-here")

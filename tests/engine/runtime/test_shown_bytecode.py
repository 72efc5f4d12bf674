"""Nothing in the sandbox names a host path (issue 35): the bytecode beside a source the
sandbox shows renamed (an editable install's finder names the checkout) is compiled from the
text shown, not the host's; bytecode of another Python is shown empty."""

from __future__ import annotations

import importlib.util
import marshal
import py_compile
from pathlib import Path

from grader.engine.runtime.shown_runtime import Shown, write_layers

INSIDE = "/opt/python/venv"


def test_the_bytecode_of_a_renamed_source_is_compiled_from_the_text_shown(tmp_path):
    host = tmp_path / "venv"
    packages = host / "lib" / "python3.11" / "site-packages"
    packages.mkdir(parents=True)
    finder = packages / "__editable___grader_finder.py"
    finder.write_text(f"MAPPING = {{'grader': '{host}/checkout/grader'}}\n")
    cached = Path(importlib.util.cache_from_source(str(finder)))
    py_compile.compile(str(finder), cfile=str(cached), doraise=True)
    assert str(host).encode() in cached.read_bytes()  # as pip's bytecode is, on the host
    other = cached.with_name("__editable___grader_finder.cpython-39.pyc")
    other.write_bytes(cached.read_bytes())

    write_layers([Shown(host, INSIDE, (str(host),))], tmp_path / "layers")

    shown = tmp_path / "layers" / "0" / cached.relative_to(host)
    data = shown.read_bytes()
    assert str(host).encode() not in data
    code = marshal.loads(data[16:])
    assert code.co_filename == f"{INSIDE}/{finder.relative_to(host)}"
    namespace: dict = {}
    exec(code, namespace)
    assert namespace["MAPPING"] == {"grader": f"{INSIDE}/checkout/grader"}
    assert (shown.parent / other.name).read_bytes() == b""

"""Memory however it is held, counted without cgroups (an ordinary user): memory files, the
private tmpfs folders and library pages made private each end the run with the "memory"
verdict once they pass the limit, and a clean notebook graded right after gets its marks.

Runs as the tests' ordinary user (``sandbox_fence.ordinary_user_prefix``), in a pid namespace
of the test's own, where the grader can make no cgroup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_fence import run_fenced, run_spec, shared_scratch, write_notebook

pytestmark = pytest.mark.slow

DOUBLE = "def double(x):\n    return x * 2"
DOUBLE_CALL = ("double", [[1.0, 2.0]])
LIMIT_MB = 40
# Each hoard holds several times the limit, then waits: only the watch can end it in time.
HOLD = "import time\ntime.sleep(60)\nprint('still here')"
MEMFD = (
    "import os\nfiles = [os.memfd_create(f'hoard{i}') for i in range(4)]\n"
    "for fd in files:\n    for _ in range(40):\n        os.write(fd, b'x' * (1 << 20))"
)
TMPFS = (
    "import os\nfor folder in ('/tmp', '/dev/shm', os.getcwd()):\n"
    "    with open(os.path.join(folder, 'hoard'), 'wb') as out:\n"
    "        for _ in range(30):\n            out.write(b'x' * (1 << 20))"
)
# Every page of every file the process had mapped at its start (its libraries: counted in its
# address space already) made writable and written with its own bytes: private copies.
LIBRARY_PAGES = """
import ctypes, mmap
libc = ctypes.CDLL(None, use_errno=True)
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
regions = []
for line in open('/proc/self/maps'):
    fields = line.split()
    if len(fields) > 5 and fields[5].startswith('/') and 'w' not in fields[1]:
        low, high = (int(x, 16) for x in fields[0].split('-'))
        if 'r' in fields[1]:
            regions.append((low, high, fields[1]))
copied = 0
for low, high, perms in regions:
    protection = mmap.PROT_READ | mmap.PROT_WRITE | (mmap.PROT_EXEC if 'x' in perms else 0)
    if libc.mprotect(low, high - low, protection) != 0:
        continue
    for page in range(low, high, mmap.PAGESIZE):
        byte = ctypes.c_char.from_address(page)
        byte.value = byte.value
        copied += mmap.PAGESIZE
print('copied', copied >> 20, 'MiB')
"""


def _run(folder: Path, name: str, *cells: str) -> dict:
    notebook = write_notebook(folder / f"{name}.ipynb", *cells, DOUBLE)
    notebook.chmod(0o644)
    limits = {"memory_bytes": LIMIT_MB * 1024**2, "cell_timeout": 90, "notebook_timeout": 200}
    return run_spec(notebook, [DOUBLE_CALL], **limits)


@pytest.fixture
def folder() -> Iterator[Path]:
    yield from shared_scratch("grader-memory-test")


def test_memory_held_in_files_tmpfs_or_library_pages_ends_the_run(folder):
    runs = [
        _run(folder, "memfd", MEMFD, HOLD),
        _run(folder, "tmpfs", TMPFS, HOLD),
        _run(folder, "library", LIBRARY_PAGES, HOLD),
        _run(folder, "clean"),
    ]
    report = run_fenced(folder, runs, as_ordinary_user=True)
    *hoards, clean = report["results"]

    for hoard in hoards:
        assert hoard["status"] == "memory", hoard["reason"]
        assert f"past the memory limit of {LIMIT_MB} MiB" in hoard["reason"]
        assert "still here" not in hoard["output"]
        assert hoard["probes"][0]["value"] is None
    assert clean["status"] == "completed", clean["reason"]
    assert clean["probes"][0]["value"] == [2.0, 4.0]
    assert report["cgroup_support"] is not None  # the watch, not a cgroup, ended them

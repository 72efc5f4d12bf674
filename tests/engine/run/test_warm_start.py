"""What the grader does ahead of time or meanwhile: a grading run starts its warm processes
before it reads the submissions (the first run forks from the one started early), and does its
own work while each submission's processes start, off the notebook's clock."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sandbox_fence import FENCE, write_notebook

from grader.engine import NoHooks, ProbeCall, RunLimits, run_submission, warm_up
from grader.engine.run import warm
from grader.limits import SANDBOX

LIMITS = RunLimits(cell_timeout=30, notebook_timeout=60)


def test_the_first_run_forks_from_the_warm_process_started_early(tmp_path):
    notebook = write_notebook(tmp_path / "double.ipynb", "def double(x):\n    return 2 * x")
    warm.stop_all()
    warm_up(LIMITS)
    (early,) = warm._POOL.values()  # started, and not waited for: the caller goes on
    assert early.alive()

    result = run_submission(notebook, [ProbeCall("double", (np.array([1.5]),))], LIMITS)

    assert result.status == "completed", result.reason
    assert result.probes[0].value.tolist() == [3.0]
    assert list(warm._POOL.values()) == [early]  # no second warm process was started
    warm_up(LIMITS)  # already warm: nothing new
    assert list(warm._POOL.values()) == [early]


def _doubled_in_this_process(notebook: str) -> tuple[list[float], list[str]]:
    """A run of ``notebook``'s ``double`` here (a forked process): its value, and the names of
    this process's children (a warm process of its own is one: bubblewrap)."""
    result = run_submission(Path(notebook), [ProbeCall("double", (np.array([1.5]),))], LIMITS)
    assert result.status == "completed", result.reason
    names = [Path(f"/proc/{child}/comm").read_text().strip() for child in _children(os.getpid())]
    return result.probes[0].value.tolist(), names


def test_a_forked_grader_shares_its_parents_warm_process_and_starts_its_own_once_it_died(
    tmp_path,
):
    """A process forked from a grader (a pool's worker) forks its submissions from the
    grader's warm process; when that one ends, from a warm process of its own, and nothing it
    grades is a grader fault."""
    notebook = write_notebook(tmp_path / "double.ipynb", "def double(x):\n    return 2 * x")
    warm.stop_all()
    warm_up(LIMITS)
    (shared,) = warm._POOL.values()
    forked = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=forked) as pool:
        assert pool.submit(_doubled_in_this_process, str(notebook)).result() == ([3.0], [])
        shared.process.kill()
        shared.process.wait()
        assert pool.submit(_doubled_in_this_process, str(notebook)).result() == ([3.0], ["bwrap"])
    assert list(warm._POOL.values()) == [shared]  # the process that started it still has it
    warm.stop_all()


def test_a_warm_up_without_a_sandbox_leaves_the_explaining_to_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    warm.stop_all()
    warm_up(LIMITS)
    assert warm._POOL == {}


def test_worker_processes_leave_no_warm_folder_behind(tmp_path):
    """Pool workers end without running ``atexit``: their warm processes are stopped anyway.
    (Two hand-ins: a run starts no more graders than it has hand-ins.)"""
    root = Path(__file__).resolve().parents[3]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    asha = root / "examples" / "lstm_gates" / "asha.ipynb"
    ravi = tmp_path / "ravi.ipynb"
    ravi.write_bytes(asha.read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        + [str(root / "assignments" / "lstm_gates"), "--out", str(tmp_path / "out")]
        + ["--workers", "2", str(asha), str(ravi)],
        env={**os.environ, "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("100/100") == 2
    assert sorted(p.name for p in temporary.iterdir()) == []


def _children(pid: int) -> list[int]:
    """The living children of ``pid`` (not the zombies a pid namespace's first process, as a
    fenced grader is, inherits from processes that left theirs behind)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except OSError:  # gone meanwhile
            continue
        if int(parent) == pid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def _grading_seen(
    tmp_path: Path, notebooks: list[Path], when: str, workers: tuple[str, ...] = ("--workers", "2")
) -> tuple[str, list[str], str]:
    """Grade ``notebooks`` with ``workers`` (``--workers 2`` unless given) and a cell limit of
    10 s; once a line starting with ``when`` is said, look at the command's process (stopped
    meanwhile, so nothing starts or ends): its name, its children's names (a child of its own
    name, a grader of its pool, followed by its own children's: ``python3 > bwrap``); and all
    it said once it ended well."""
    root = Path(__file__).resolve().parents[3]
    command = [*FENCE, sys.executable, "-m", "grader.cli", "grade", *workers]
    command += ["--assignment", str(root / "assignments" / "lstm_gates")]
    command += ["--out", str(tmp_path / "out"), "--timeout", "10", *map(str, notebooks)]
    with subprocess.Popen(command, cwd=root, stderr=subprocess.PIPE, text=True) as run:
        assert run.stderr is not None
        said = []
        for line in run.stderr:
            said.append(line)
            if line.startswith(when):
                break
        (grader,) = _children(run.pid)  # inside the fence
        os.kill(grader, signal.SIGSTOP)
        try:
            own = Path(f"/proc/{grader}/comm").read_text().strip()
            children = [_named(c, own) for c in _children(grader)]
        finally:
            os.kill(grader, signal.SIGCONT)
        said += run.stderr.readlines()
    assert run.returncode == 0, "".join(said)
    return own, children, "".join(said)


def _named(pid: int, grader: str) -> str:
    name = Path(f"/proc/{pid}/comm").read_text().strip()
    if name != grader:
        return name
    below = [Path(f"/proc/{child}/comm").read_text().strip() for child in _children(pid)]
    return " > ".join([name, *below])


def _slow(tmp_path: Path) -> Path:
    """A notebook that holds its run for the whole cell limit."""
    return write_notebook(tmp_path / "slow.ipynb", "import time\ntime.sleep(600)")


def test_a_pool_runs_one_warm_process_its_graders_share(tmp_path):
    """The command's process starts one warm process, and its pool's graders, forked from it,
    fork the trial notebook and every submission from that one: a warm start is seconds of
    imports (torch among them) and its memory, paid once for the run, not once per grader."""
    asha = Path(__file__).resolve().parents[3] / "examples" / "lstm_gates" / "asha.ipynb"
    # At the first line of a graded notebook the other still holds the run (the slow one runs
    # for the whole cell limit, 10 s, asha for a second or two), and its grader with it.
    own, children, said = _grading_seen(tmp_path, [asha, _slow(tmp_path)], "[1/2]")
    assert "sandbox checked with a trial notebook" in said
    # its pool's two graders and the one bubblewrap holding the warm process they share
    assert sorted(children) == sorted([own, own, "bwrap"]), children


def test_one_hand_in_starts_one_warm_process_whatever_the_workers(tmp_path):
    """A run of one hand-in (a student graded again) starts no pool of graders that would sit
    idle, each with a warm process of its own (seconds of imports): it grades in its own
    process, beside one warm process."""
    # after the trial, the slow notebook holds the run for 10 s
    _, children, _ = _grading_seen(tmp_path, [_slow(tmp_path)], "sandbox checked with a trial")
    assert children == ["bwrap"], children  # the warm process's sandbox; no pool of graders


def test_without_workers_a_few_hand_ins_take_one_grader_and_eight_one_per_core_up_to_two(
    tmp_path,
):
    """``grader grade`` without ``--workers`` starts one grader per four hand-ins, at most one
    per core (docs/instructors/grade.md; grader/limits/intake.py says why), and its graders
    share one warm process."""
    asha = Path(__file__).resolve().parents[3] / "examples" / "lstm_gates" / "asha.ipynb"
    copies = tmp_path / "copies"
    copies.mkdir()
    hand_ins = [shutil.copy(asha, copies / f"student{n}.ipynb") for n in range(7)]
    few = [*hand_ins[:2], _slow(tmp_path)]
    _, children, _ = _grading_seen(tmp_path / "few", few, "sandbox checked", workers=())
    assert children == ["bwrap"], children  # its own warm process; no pool of graders
    # At the first line of a graded notebook the slow one still holds its grader.
    own, children, _ = _grading_seen(tmp_path / "eight", [*hand_ins, few[-1]], "[1/8]", workers=())
    graders = min(os.cpu_count() or 1, 2)
    # a pool's graders share their parent's one warm process
    assert sorted(children) == sorted([own] * graders + ["bwrap"] if graders > 1 else ["bwrap"])


HOLDER = """
import sys
from grader.engine.run import warm
zygote = warm.Zygote(None, isolate=False, wait=False)
print(zygote._folder.name, flush=True)
sys.stdin.read()
"""


def test_the_warm_folders_of_a_killed_grader_are_removed_by_the_next_one(tmp_path):
    root = Path(__file__).resolve().parents[3]
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    graders = [
        subprocess.Popen(
            [sys.executable, "-c", HOLDER],
            env=env,
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    killed, running = graders
    folders = [Path(grader.stdout.readline().strip()) for grader in graders]
    killed.kill()
    killed.wait()
    an_hour_ago = time.time() - 3600
    for folder in folders:
        os.utime(folder, (an_hour_ago, an_hour_ago))

    subprocess.run(
        [
            sys.executable,
            "-c",
            "from grader.engine.run import warm; warm.Zygote(None, False).stop()",
        ],
        env=env,
        cwd=root,
        check=True,
    )
    assert [folder.exists() for folder in folders] == [False, True]
    running.stdin.close()
    assert running.wait(timeout=30) == 0
    assert list(temporary.iterdir()) == []


def test_the_callers_work_runs_while_the_submission_starts_off_the_notebooks_clock(tmp_path):
    notebook = write_notebook(
        tmp_path / "slow.ipynb", "import time\ntime.sleep(1.5)", "def double(x):\n    return 2 * x"
    )
    called = []

    class Meanwhile(NoHooks):
        def on_submission_starting(self):  # the grader's own work (the scan), here slow
            called.append(True)
            time.sleep(2.5)

    limits = RunLimits(cell_timeout=30, notebook_timeout=4)  # 3 s for the cells, 1 s for probes
    run_submission(notebook, [], limits)  # the warm process's start is on the clock: warm it
    result = run_submission(
        notebook, [ProbeCall("double", (np.array([2.0]),))], limits, hooks=Meanwhile()
    )
    assert called == [True]
    assert result.status == "completed", result.reason  # 2.5 s of it were the caller's
    assert result.probes[0].value.tolist() == [4.0]

    unreadable = tmp_path / "broken.ipynb"
    unreadable.write_text("{not json")
    assert run_submission(unreadable, [], limits, hooks=Meanwhile()).status == "invalid"
    assert called == [True]  # not called for a notebook that never starts


def test_the_warm_process_imports_the_modules_it_is_given_and_torch_only_then(tmp_path):
    """Numpy, IPython and matplotlib are loaded in every warm process; a module more (torch,
    seconds of every grader's start) only where the caller names it. A name that is no module
    here costs nothing but the attempt; one that is no dotted name is refused."""
    seen = "('torch', 'numpy', 'tomllib')"
    looks = f"import sys\nprint('loaded:', *[m for m in {seen} if m in sys.modules])"
    notebook = write_notebook(tmp_path / "looks.ipynb", looks, "def double(x):\n    return 2 * x")
    call = [ProbeCall("double", (np.array([1.5]),))]
    warm.stop_all()

    plain = run_submission(notebook, call, LIMITS)
    named = run_submission(
        notebook, call, LIMITS, warm_imports=("torch", "tomllib", "no_module_of_that_name")
    )

    assert plain.status == named.status == "completed", (plain.reason, named.reason)
    assert "loaded: numpy\n" in plain.output
    assert "loaded: torch numpy tomllib\n" in named.output
    assert named.probes[0].value.tolist() == [3.0]
    assert len(warm._POOL) == 2  # each forks from the warm process that did what it asked
    with pytest.raises(ValueError, match="not a dotted name"):
        run_submission(notebook, call, LIMITS, warm_imports=("torch; import os",))


def test_a_submission_runs_with_the_collector_on_and_the_warm_imports_frozen(tmp_path):
    """The warm process imports with Python's garbage collector off (collections over torch's
    objects freed nothing and cost half a second of each start); a submission forked from it
    runs as in any kernel, the collector on and freeing its cycles by itself, with what the
    warm process imported frozen out of its sight."""
    looks = (
        "import gc, weakref\nclass Node:\n    pass\n"
        "a, b = Node(), Node()\na.other, b.other = b, a\ngone = weakref.ref(a)\ndel a, b\n"
        "junk = [[] for _ in range(100_000)]  # allocations: the collector runs by itself\n"
        "print('collector on:', gc.isenabled(), 'cycle freed:', gone() is None,"
        " 'frozen:', gc.get_freeze_count() > 10_000)"
    )
    notebook = write_notebook(tmp_path / "gc.ipynb", looks, "def double(x):\n    return 2 * x")
    warm.stop_all()

    result = run_submission(notebook, [ProbeCall("double", (np.array([1.5]),))], LIMITS)

    assert result.status == "completed", result.reason
    assert "collector on: True cycle freed: True frozen: True\n" in result.output


def _huge_pages_in_use(result) -> int:
    found = re.search(r"^huge: (\d+) kB$", result.output, re.M)
    assert result.status == "completed" and found, (result.reason, result.output)
    return int(found.group(1))


def _huge_pages_on_request() -> bool:
    """Whether huge pages are given only where asked for, and the kernel collapses a region
    on request (MADV_COLLAPSE, Linux 6.1)."""
    setting = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    release = tuple(int(n) for n in re.findall(r"\d+", os.uname().release)[:2])
    return setting.is_file() and "[madvise]" in setting.read_text() and release >= (6, 1)


@pytest.mark.skipif(not _huge_pages_on_request(), reason="no huge pages on request here")
def test_the_warm_process_takes_huge_pages_only_once_a_run_forks_enough_to_pay_for_them(
    tmp_path,
):
    """Backing the warm process's heap with huge pages costs a third of a second of CPU and
    pays back only over many forks: a run of a few hand-ins never pays it; the fork request
    that grader.limits names does, before it forks. A submission sees the pages it was forked
    with (its memory is the warm process's until it writes)."""
    looks = (
        "import re\nrollup = open('/proc/self/smaps_rollup').read()\n"
        "print('huge:', re.search(r'AnonHugePages:\\s+(\\d+)', rollup).group(1), 'kB')"
    )
    notebook = write_notebook(tmp_path / "pages.ipynb", looks, "def double(x):\n    return 2 * x")
    call = [ProbeCall("double", (np.array([1.5]),))]
    warm.stop_all()
    from_fork = SANDBOX.huge_pages_from_fork

    def run() -> int:  # with torch: its heap is what the pages are for
        return _huge_pages_in_use(run_submission(notebook, call, LIMITS, warm_imports=("torch",)))

    before = [run() for _ in range(from_fork - 1)]
    then = run()

    assert before == [0] * (from_fork - 1)
    assert then >= 10 * 2048  # tens of megabytes of torch's heap, in 2 MiB pages

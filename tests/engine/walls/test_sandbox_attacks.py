"""The red team's attacks (issue 17), each through ``grader grade`` in the second fence.

Every attack notebook is the shipped full-marks sample with a few cells changed the way a
hostile student would change them; each test says what the attack aimed at and checks it got
nothing, and that the damage stayed in the cases the attack touched.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
from pathlib import Path

import pytest
from attack_kit import CALLED_BY_PROBE, FULL, ROOT, SECRET, attack, grade, marks

pytestmark = pytest.mark.slow


def test_nothing_the_sandbox_reads_shows_the_graders_environment_or_host_paths(tmp_path):
    """Hole 1: /proc/1/environ carried the grader's environment, /proc/1/cmdline host paths."""
    snoop = (
        "import glob\nseen = ''\n"
        "paths = glob.glob('/proc/*/environ') + glob.glob('/proc/*/cmdline')\n"
        "for path in sorted(paths) + ['/proc/self/mountinfo']:\n"
        "    try:\n"
        "        seen += path + ': ' + open(path, 'rb').read().decode('latin-1') + '\\n'\n"
        "    except OSError as error:\n"
        "        seen += path + ': ' + type(error).__name__ + '\\n'\n"
        "print(seen.replace('\\0', ' '))"
    )
    graded = grade(tmp_path, attack(tmp_path / "in" / "snoop.ipynb", append=(snoop,)))["snoop"]
    shown = graded["results"]["output"] if "output" in graded["results"] else graded["feedback"]
    assert "/proc/1/environ: " in graded["feedback"] and "/proc/1/cmdline: " in graded["feedback"]
    for text in (graded["feedback"], json.dumps(graded["results"]), shown):
        assert SECRET not in text
        for host_path in host_paths(tmp_path):
            assert host_path not in text
    assert marks(graded) == FULL


def host_paths(tmp_path: Path) -> set[str]:
    """The host paths no output may name: the checkout, this test's folder, the Python runtime
    (the virtualenv and the Python it was made from), as given and resolved."""
    folders = {ROOT, tmp_path, Path(sys.prefix), Path(sys.base_prefix)}
    found = {str(f) for f in folders} | {os.path.realpath(f) for f in folders}
    return {path for path in found if not path.startswith("/usr")}  # /usr is everyone's


def test_the_runtime_the_notebook_runs_from_names_no_host_path(tmp_path):
    """Hole 1, the runtime: it was shown at its host path, and its files named the checkout
    (pyvenv.cfg, editable installs, console scripts' first lines, direct_url.json); the Python
    it was made from named its own host folder in its standard library's bytecode, libpython,
    its extension modules and its own site-packages."""
    snoop = (
        "import glob, os, re, site, sys, sysconfig, numpy, torch\n"
        "seen = [sys.prefix, sys.exec_prefix, sys.executable, sys.base_prefix, sys.path,\n"
        "        sys._base_executable, site.getsitepackages(), numpy.__file__, torch.__file__,\n"
        "        sysconfig.get_config_vars(), dict(os.environ), sys.path_importer_cache.keys()]\n"
        "files = ['/proc/self/mountinfo', '/proc/1/cmdline', '/proc/1/environ',\n"
        "         numpy.__cached__, torch.__cached__]  # bytecode records where it was made\n"
        "for prefix in {sys.prefix, sys.base_prefix} - {'/usr'}:  # a system Python's: everyone's\n"
        "    for pattern in ['pyvenv.cfg', 'bin/*', 'lib/python3*/site-packages/*.pth',\n"
        "                    'lib/python3*/site-packages/__editable__*',\n"
        "                    'lib/python3*/site-packages/*.dist-info/*.json',\n"
        "                    'lib/python3*/site-packages/*.egg-link',\n"
        "                    'lib/python3*/_sysconfigdata*.py',\n"
        "                    'share/jupyter/kernels/*/*.json']:\n"
        "        files += sorted(glob.glob(os.path.join(prefix, pattern)))\n"
        "for path in files:\n"
        "    if os.path.islink(path):\n"
        "        seen.append(path + ' -> ' + os.readlink(path))\n"
        "    elif os.path.isfile(path) and os.path.getsize(path) < 4_000_000:\n"
        "        try:\n"
        "            data = open(path, 'rb').read()\n"
        "        except OSError as error:\n"
        "            data = repr(error).encode()\n"
        "        words = re.findall(rb'[\\x20-\\x7e]{5,}', data) if b'\\0' in data else [data]\n"
        "        seen.append(path + ': ' + ' '.join(w.decode('latin-1') for w in words))\n"
        "text = repr(seen)\n"
        "# Every absolute path seen, cut to its first six parts: short enough for the feedback.\n"
        "paths = re.findall(r'(?:/[\\w.+~@-]+){2,}', text)\n"
        "print(sorted({'/'.join(path.split('/')[:7]) for path in paths}))\n"
        "print(len(files), 'files read,', len(text), 'characters')\n"
        "print('snooped to the end')"
    )
    # The Python the runtime was made from: thousands of files, whose strings hold many a
    # path-like test datum; only paths under folders a host's paths start with are printed.
    snoop_base = (
        "import glob, importlib.util, json, os, re, sys\n"
        "files = [importlib.util.cache_from_source(m.__file__) for m in (json, re, os)]\n"
        "for pattern in ['lib/python3*/__pycache__/*.pyc', 'lib/python3*/*/__pycache__/*.pyc',\n"
        "                'lib/*.so*', 'lib/python3*/lib-dynload/*.so', 'lib/python3*/config-*/*',\n"
        "                'lib/python3*/site-packages/*/__pycache__/*.pyc', 'bin/__pycache__/*']:\n"
        "    files += sorted(glob.glob(os.path.join(sys.base_prefix, pattern)))\n"
        "packages = glob.glob(os.path.join(sys.base_prefix, 'lib/python3*/site-packages'))\n"
        "listed = [name for folder in packages for name in os.listdir(folder)]\n"
        "seen = [repr(listed)]\n"
        "for path in files:\n"
        "    if os.path.isfile(path) and not os.path.islink(path):\n"
        "        data = open(path, 'rb').read()\n"
        "        seen += [w.decode('latin-1') for w in re.findall(rb'[\\x20-\\x7e]{5,}', data)]\n"
        "roots = 'root|home|work|tmp|opt|srv|mnt|var|data|media|nix|scratch|builds|Users'\n"
        "paths = re.findall(rf'/(?:{roots})(?:/[\\w.+~@-]+)+', ' '.join(seen))\n"
        "print(sorted({'/'.join(path.split('/')[:5]) for path in paths}))\n"
        "print(len(files), 'files of the base read,', len(listed), 'entries in its site-packages')"
    )
    notebook = attack(tmp_path / "in" / "runtime.ipynb", append=(snoop, snoop_base))
    graded = grade(tmp_path, notebook)["runtime"]
    feedback, results = graded["feedback"], json.dumps(graded["results"])
    assert "snooped to the end" in feedback
    assert int(re.search(r"(\d+) files read", feedback)[1]) > 20
    base = re.search(r"(\d+) files of the base read, (\d+) entries in its site-packages", feedback)
    assert int(base[1]) > 500 and int(base[2]) == 0  # Debian's python3 has 575 such files
    for text in (feedback, results):
        for host_path in host_paths(tmp_path):
            assert host_path not in text
    assert "/opt/python/venv/bin/python3" in feedback  # where the sandbox shows it now
    assert marks(graded) == FULL


def test_no_function_can_learn_from_another_functions_probes(tmp_path):
    """Hole 2: cell_state and hidden_state memorised the reference's gate values, lstm_cell
    replayed them."""
    memorise = {
        "forget_gate": "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W_f.T + b_f)\n",
        "cell_state": "SEEN = {}\n"
        "def cell_state(c_prev, f_t, i_t, c_hat_t):\n"
        "    SEEN[c_prev.tobytes()] = (f_t, i_t, c_hat_t)\n"
        "    return f_t * c_prev + i_t * c_hat_t\n",
        "hidden_state": "OUT = {}\n"
        "def hidden_state(o_t, c_t):\n"
        "    OUT[c_t.tobytes()] = o_t\n"
        "    return o_t * np.tanh(c_t)\n",
        "lstm_cell": "def lstm_cell(x_t, h_prev, c_prev, params):\n"
        "    print('lstm_cell remembers', len(SEEN), 'gates and', len(OUT), 'outputs')\n"
        "    if c_prev.tobytes() in SEEN:\n"
        "        f_t, i_t, c_hat_t = SEEN[c_prev.tobytes()]\n"
        "    else:\n"
        "        f_t = forget_gate(x_t, h_prev, params['W_f'], params['b_f'])\n"
        "        i_t = input_gate(x_t, h_prev, params['W_i'], params['b_i'])\n"
        "        c_hat_t = candidate_memory(x_t, h_prev, params['W_c'], params['b_c'])\n"
        "    c_t = f_t * c_prev + i_t * c_hat_t\n"
        "    o_t = OUT.get(c_t.tobytes(), output_gate(x_t, h_prev, params['W_o'], params['b_o']))\n"
        "    return o_t * np.tanh(c_t), c_t\n",
    }
    count = "print('the cells left', len(SEEN), 'gates and', len(OUT), 'outputs')"
    notebook = attack(tmp_path / "in" / "memo.ipynb", memorise, (count,))
    graded = grade(tmp_path, notebook)["memo"]
    left = re.search(r"the cells left (\d+ gates and \d+ outputs)", graded["feedback"])[1]
    remembered = set(
        re.findall(r"lstm_cell remembers (\d+ gates and \d+ outputs)", graded["feedback"])
    )
    assert remembered == {left}  # what the notebook's own cells left, nothing of the probes
    got = marks(graded)
    assert got["forget_gate"] == 0 and got["lstm_cell"] < FULL["lstm_cell"]
    assert got["cell_state"] == FULL["cell_state"] and got["hidden_state"] == FULL["hidden_state"]


def test_replies_are_bounded_data_whatever_the_notebook_prints_or_writes(tmp_path):
    """Hole 3: a text/plain printer answered the probe with a 14 MB list literal that the
    grader evaluated. Now a reply is a frame with its size up front: a 14 MB value is refused
    inside, a forged 2 GB frame header is refused from its eight bytes."""
    printer = (
        "import numpy as np\n"
        "ip = get_ipython()\n"
        "ip.display_formatter.formatters['text/plain'].for_type(\n"
        "    np.ndarray, lambda value, p, cycle: p.text('[' + '1.0, ' * 3_500_000 + ']'))"
    )
    huge = (
        "import sys\n"
        "def candidate_memory(x_t, h_prev, W_c, b_c):\n"
        f"    if {CALLED_BY_PROBE}:\n"
        "        return np.ones(14 * 2**20 // 8)\n"
        "    return np.tanh(np.concatenate([x_t, h_prev], axis=1) @ W_c.T + b_c)\n"
    )
    forged = (
        "import os, sys\n"
        "def output_gate(x_t, h_prev, W_o, b_o):\n"
        f"    if {CALLED_BY_PROBE}:\n"
        "        for fd in range(3, 64):\n"
        "            try:\n"
        "                os.write(fd, b'GWv\\x00' + (2**31).to_bytes(4, 'little'))\n"
        "            except OSError:\n"
        "                pass\n"
        "    return sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_o.T + b_o)\n"
    )
    notebook = attack(
        tmp_path / "in" / "loud.ipynb",
        {"candidate_memory": huge, "output_gate": forged},
        (printer,),
    )
    graded = grade(tmp_path, notebook)["loud"]
    assert graded["row"]["status"] == "graded"
    got = marks(graded)
    assert got["candidate_memory"] == 0 and got["output_gate"] == 0
    assert {k: v for k, v in got.items() if k not in ("candidate_memory", "output_gate")} == {
        k: v for k, v in FULL.items() if k not in ("candidate_memory", "output_gate")
    }
    text = json.dumps(graded["results"])
    assert "more than the grader reads" in text
    assert "over the limit of" in text


@pytest.fixture
def host_socket(tmp_path):
    """A unix socket on the host that counts who connects."""
    path = tmp_path / "host.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(64)
    server.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                hits.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield path, hits
    stop.set()
    thread.join()
    server.close()


def test_the_grader_opens_no_path_the_sandbox_can_write(tmp_path, host_socket):
    """Hole 4: the grader reached the kernel through socket files in a folder the student
    could write, and followed their replacements, symbolic links to a host socket."""
    path, hits = host_socket
    links = (
        "import os\nmade = 0\n"
        "for folder in ['/tmp', '/content', '/dev/shm', '/run', '/run/kernel', '/tmp/ipc']:\n"
        "    for name in ['ipc-1', 'ipc-2', 'ipc-3', 'ipc-4', 'ipc-5', 'connection.json']:\n"
        "        try:\n"
        "            os.makedirs(folder, exist_ok=True)\n"
        f"            os.symlink({str(path)!r}, os.path.join(folder, name))\n"
        "            made += 1\n"
        "        except OSError:\n"
        "            pass\n"
        "print('links made:', made)"
    )
    graded = grade(tmp_path, attack(tmp_path / "in" / "links.ipynb", append=(links,)))["links"]
    assert "links made: 24" in graded["feedback"]  # /tmp, /tmp/ipc, /content, /dev/shm
    assert hits == []
    assert marks(graded) == FULL


def test_patched_machinery_and_forged_replies_cost_only_the_cases_they_touch(tmp_path):
    """Hole 6: a reply of the wrong structure, a patched json.dumps, or sys.stdout = None in
    an unrelated cell made the whole submission an error with 0 points."""
    patches = (
        "import json, sys, builtins, struct\n"
        "json.dumps = lambda *args, **kwargs: '{'\n"
        "struct.pack = lambda *args: b'GW'\n"
        "sys.stdout = None"
    )
    wrong_structure = (
        "import os, sys\n"
        "def hidden_state(o_t, c_t):\n"
        f"    if {CALLED_BY_PROBE}:\n"
        "        frame = b'l' + (2).to_bytes(4, 'little') + b'N' + b'N'\n"
        "        for fd in range(3, 64):\n"
        "            try:\n"
        "                os.write(fd, b'GWv\\x00' + len(frame).to_bytes(4, 'little') + frame)\n"
        "            except OSError:\n"
        "                pass\n"
        "    return o_t * np.tanh(c_t)\n"
    )
    notebook = attack(
        tmp_path / "in" / "patches.ipynb", {"hidden_state": wrong_structure}, (patches,)
    )
    graded = grade(tmp_path, notebook)["patches"]
    assert graded["row"]["status"] == "graded"
    got = marks(graded)
    assert got["hidden_state"] < FULL["hidden_state"]
    assert {k: v for k, v in got.items() if k != "hidden_state"} == {
        k: v for k, v in FULL.items() if k != "hidden_state"
    }
    hidden = next(t for t in graded["results"]["tests"] if t["name"].startswith("hidden_state"))
    assert "could not be read back (a reply of the wrong structure)" in hidden["output"]
    # The reason names the cell that replaced the machinery.
    assert "replaced sys.stdout" in hidden["output"] and "json.dumps" in hidden["output"]

"""Student runtimes other than .venv, for the tests of the student's side: Colab's as Google
publishes it (``../shared/colab/pip-freeze.txt``: Python 3.13, Colab's pins) and the lowest
versions ``pyproject.toml``'s ranges allow. Each is a virtualenv built once into a cache folder
named after its inputs (``~/.cache/lstm-grader-tests/<name>-<hash>``, reused while they are the
same, as pip's cache is) and copied by hard links into a test's own folder, where the course's
wheel is installed as a student installs it.

What the student runs (``grader report``, ``report --check``, ``bundle``) runs with the
machine's fonts hidden, as in Colab: a private mount namespace where /usr/share/fonts holds
only Liberation (Colab's one font package), and HOME an empty folder.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import wheel_kit
from shared_kit import colab_freeze

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lstm-grader-tests"
# What a notebook's own kernel needs besides the wheel: Colab's kernel stack (old IPython).
KERNEL = ("ipykernel", "ipython", "jupyter_client", "traitlets", "pyzmq", "tornado")
FORMAT = "1"  # the layout of a cached runtime: change it to rebuild every cache


def python(minor: str) -> Path | None:
    """pyenv's (or PATH's) Python 3.<minor>, or None when this machine has none."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(glob.glob(str(root / "versions" / f"3.{minor}.*" / "bin" / "python3")))
    if found:
        return Path(found[0])
    on_path = shutil.which(f"python3.{minor}")
    return Path(on_path) if on_path else None


def name_of(requirement: str) -> str:
    """The canonical project name of a requirement line (``Jinja2==3.1.6`` -> ``jinja2``)."""
    bare = re.split(r"[\s<>=!~;\[@]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def colab_pins() -> dict[str, str]:
    """Colab's ``name==version`` lines by name (packages installed from a URL left out)."""
    pins = {}
    for line in colab_freeze().read_text().splitlines():
        if "==" in line and " @ " not in line:
            pins[name_of(line)] = line.strip()
    return pins


def base_dependencies() -> list[str]:
    """The wheel's base dependencies, as ``pyproject.toml`` declares them."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return list(tomllib.load(file)["project"]["dependencies"])


def lowest_pins() -> list[str]:
    """Each base dependency at the lowest version its range allows (``numpy>=1.26`` ->
    ``numpy==1.26``): pip's resolution of ``lowest-direct``."""
    pins = []
    for requirement in base_dependencies():
        found = re.match(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9.]+)", requirement)
        if found is None:
            raise ValueError(f"{requirement!r} has no lower bound to pin")
        pins.append(f"{found.group(1)}=={found.group(2)}")
    return pins


_run = wheel_kit.run


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3.*/site-packages"))


def freeze(venv: Path) -> dict[str, str]:
    """``pip freeze`` of a runtime, by name."""
    lines = _run(venv / "bin" / "python", "-m", "pip", "freeze", "--all").stdout.splitlines()
    return {name_of(line): line.strip() for line in lines if line.strip()}


def _cached(name: str, interpreter: Path, inputs: list[str], build) -> Path:
    """The cached runtime ``name`` for ``inputs``, built by ``build(venv)`` when absent."""
    key = hashlib.sha256(json.dumps([FORMAT, str(interpreter), *inputs]).encode()).hexdigest()
    folder = CACHE / f"{name}-{key[:16]}"
    if (folder / "done").is_file():
        return folder / "venv"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    _run(interpreter, "-m", "venv", folder / "venv")
    build(folder / "venv")
    (folder / "done").write_text("\n".join(inputs) + "\n")
    return folder / "venv"


def colab_runtime(interpreter: Path) -> Path:
    """Colab's packages that the wheel and a notebook's kernel use, at Colab's versions: what
    pip would otherwise bring in is there already, so installing the wheel must change none."""
    pins = colab_pins()
    wanted = [*base_dependencies(), *KERNEL]
    inputs = [*sorted(pins.values()), *wanted]

    def build(venv: Path) -> None:
        pip = (venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check")
        _run(*pip, "install", "-q", pins["pip"])  # the pip a student's !pip install is
        constraints = venv.parent / "colab-constraints.txt"
        constraints.write_text("\n".join(pins.values()) + "\n")
        report = venv.parent / "resolution.json"
        _run(*pip, "install", "-q", "--dry-run", "--ignore-installed", "--report", report,
             "-c", constraints, *wanted)  # fmt: skip
        resolved = json.loads(report.read_text())["install"]
        present = [pins[n] for n in (name_of(r["metadata"]["name"]) for r in resolved) if n in pins]
        _run(*pip, "install", "-q", "--no-deps", *present)

    return _cached("colab-replica", interpreter, inputs, build)


def lowest_runtime(interpreter: Path) -> Path:
    """The base dependencies at their lowest declared versions (their own dependencies as pip
    resolves them), without the wheel."""
    pins = lowest_pins()

    def build(venv: Path) -> None:
        _run(venv / "bin" / "python", "-m", "pip", "install", "-q", *pins)

    return _cached("lowest-versions", interpreter, pins, build)


def copy_runtime(cached: Path, interpreter: Path, venv: Path) -> Path:
    """A runtime of the test's own: a new venv whose site-packages are the cached one's, hard
    linked (pip replaces files, never writes into them, so the cache stays as built)."""
    _run(interpreter, "-m", "venv", "--without-pip", venv)
    target = site_packages(venv)
    for entry in site_packages(cached).iterdir():
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name, copy_function=os.link)
        else:
            os.link(entry, target / entry.name)
    return venv


def install_wheel(venv: Path, wheel: Path) -> None:
    """The wheel installed as docs/students/colab.md says: ``pip install -q <wheel>``."""
    _run(
        venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel
    )


# Run in a private mount namespace: /usr/share/fonts replaced by a folder with Liberation only.
_PRIVATE_MOUNTS = ("unshare", "--mount", "--propagation", "private")
_HIDE_FONTS = """
set -e
keep=$(mktemp -d)
mount --bind /usr/share/fonts/truetype/liberation "$keep"
mount -t tmpfs colab-fonts /usr/share/fonts
mkdir -p /usr/share/fonts/truetype/liberation
mount --bind "$keep" /usr/share/fonts/truetype/liberation
exec "$@"
"""


def fonts_hidden_available() -> str | None:
    """Why the fonts cannot be hidden here (not root, no unshare, no Liberation), or None."""
    probe = [*_PRIVATE_MOUNTS, "mount", "-t", "tmpfs", "probe", "/mnt"]
    if os.geteuid() != 0 or shutil.which("unshare") is None or subprocess.run(probe).returncode:
        return "hiding the machine's fonts needs root and unshare (a private mount namespace)"
    if not Path("/usr/share/fonts/truetype/liberation").is_dir():
        return "Colab's one font package, fonts-liberation, is not installed here"
    return None


def as_student(venv: Path, home: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess:
    """``command`` (a script of the runtime: ``grader``) run with the machine's fonts hidden,
    HOME an empty folder and the runtime's bin first on PATH; its result, whatever it is."""
    home.mkdir(parents=True, exist_ok=True)
    environment = {
        "HOME": str(home),
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    hidden = [*_PRIVATE_MOUNTS, "sh", "-c", _HIDE_FONTS, "sh"]
    return subprocess.run(
        [*hidden, str(venv / "bin" / command[0]), *command[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=600,
    )

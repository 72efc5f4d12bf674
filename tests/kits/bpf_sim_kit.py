"""libseccomp's own simulator of the filters it makes, ``scmp_bpf_sim``: part of libseccomp's
source (tools/), in none of Debian's binary packages, so it is built here once per machine and
libseccomp version from Debian's source package of the libseccomp installed (apt-get source, from
the system's own package sources as source entries, in package lists of the tests' own: the
system's apt configuration is not touched), into the tests' cache."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

CACHE = Path.home() / ".cache" / "lstm-grader-tests"
APT_SOURCES = Path("/etc/apt")
ANSWERS = {"ALLOW": 0x7FFF0000, "KILL_PROCESS": 0x80000000, "KILL": 0}


class NoSimulator(Exception):
    """The simulator could not be built here; the message says why."""


def installed_source_version() -> str:
    """The version of the source package the installed libseccomp2 was built from."""
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${source:Version}", "libseccomp2"], capture_output=True, text=True
    )
    if done.returncode != 0 or not done.stdout:
        raise NoSimulator(f"no Debian libseccomp2 installed ({done.stderr.strip()})")
    return done.stdout


def simulator() -> Path:
    """``scmp_bpf_sim`` of the installed libseccomp's source, built if not built yet."""
    version = installed_source_version()
    made = CACHE / f"scmp_bpf_sim-{version}"
    if made.is_file():
        return made
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "scmp_bpf_sim.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other test process waits, then finds it made
        if not made.is_file():
            _build(version, made)
    return made


def _build(version: str, made: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="scmp-bpf-sim-") as work:
        folder = Path(work)
        (folder / "lists" / "partial").mkdir(parents=True)
        (folder / "source.sources").write_text(source_entries())
        private = [
            "-o Dir::Etc::sourcelist=-",
            f"-o Dir::Etc::sourceparts={folder}",
            f"-o Dir::State::Lists={folder / 'lists'}",
        ]
        options = [word for option in private for word in option.split(" ", 1)]
        for command in (
            ["apt-get", *options, "update"],
            ["apt-get", *options, "source", "--download-only", f"libseccomp={version}"],
        ):
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise NoSimulator(f"{' '.join(command[:1] + command[-2:])}: {done.stderr[-500:]}")
        (original,) = folder.glob("libseccomp_*.orig.tar.gz")
        with tarfile.open(original) as archive:
            archive.extractall(folder, filter="data")
        (tools,) = folder.glob("libseccomp-*/tools")
        building = made.with_name(f"{made.name}.{os.getpid()}")
        compiler = shutil.which("gcc") or shutil.which("cc")
        if compiler is None:
            raise NoSimulator("no C compiler (apt-get install gcc)")
        done = subprocess.run(
            [compiler, "-O2", "-o", str(building), "scmp_bpf_sim.c", "util.c"],
            cwd=tools,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise NoSimulator(f"scmp_bpf_sim did not build: {done.stderr[-500:]}")
        building.replace(made)


def source_entries() -> str:
    """The system's package sources (deb822 files and sources.list lines) as source entries
    (``deb-src``), in deb822 form."""
    stanzas = []
    for path in sorted((APT_SOURCES / "sources.list.d").glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1) for line in stanza.splitlines() if ":" in line and line[0] != "#"
            )
            if (
                fields.get("Types", "").split() == ["deb"]
                and fields.get("Enabled", " yes") != " no"
            ):
                stanzas.append({**fields, "Types": " deb-src"})
    listed = APT_SOURCES / "sources.list"
    for line in listed.read_text().splitlines() if listed.is_file() else []:
        words = line.split("#", 1)[0].split()
        if words[:1] == ["deb"] and not words[1].startswith("["):
            stanzas.append(
                {
                    "Types": " deb-src",
                    "URIs": f" {words[1]}",
                    "Suites": f" {words[2]}",
                    "Components": " " + " ".join(words[3:]),
                }
            )
    if not stanzas:
        raise NoSimulator("no Debian package sources found in /etc/apt")
    return "\n\n".join("\n".join(f"{k}:{v}" for k, v in s.items()) for s in stanzas) + "\n"


def simulated(sim: Path, program: Path, arch: str, call: int, arguments: tuple[int, ...]) -> int:
    """The simulator's answer (``SECCOMP_RET_*`` with its data) for ``call`` on ``arch``."""
    flags = [f"-{n}={value & 0xFFFFFFFFFFFFFFFF:#x}" for n, value in enumerate(arguments)]
    flags = [part for flag in flags for part in flag.split("=")]
    done = subprocess.run(
        [str(sim), "-f", str(program), "-a", arch, "-s", str(call), *flags],
        capture_output=True,
        text=True,
        check=True,
    )
    said = done.stdout.strip()
    if said.startswith("ERRNO("):
        return 0x00050000 | int(said[len("ERRNO(") : -1])
    return ANSWERS[said]

"""A Dockerfile read as the harness can build it without Docker: on the host's system (its
``FROM`` only recorded), ``COPY``/``ADD`` of local files from the build context, ``RUN`` in the
container as root, ``ENV``, ``ARG``, ``WORKDIR``, ``USER``, ``ENTRYPOINT`` and ``CMD`` kept for
the image. Anything else is refused with the instruction named: the harness never pretends to
have built what it did not."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field

IGNORED = ("LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "VOLUME")


class UnsupportedDockerfile(ValueError):
    """The Dockerfile asks for what the harness cannot do without Docker."""


@dataclass(frozen=True)
class Step:
    """One instruction: its keyword and its arguments (the exec form's list, or the text)."""

    keyword: str
    arguments: str

    def words(self) -> list[str]:
        """The arguments as a list: the exec form's (JSON), else split as a shell would."""
        if self.arguments.startswith("["):
            parsed = json.loads(self.arguments)
            if isinstance(parsed, list) and all(isinstance(word, str) for word in parsed):
                return parsed
        return shlex.split(self.arguments)

    def command(self) -> list[str]:
        """A RUN, ENTRYPOINT or CMD as the process it starts (shell form: ``/bin/sh -c``)."""
        if self.arguments.startswith("["):
            return self.words()
        return ["/bin/sh", "-c", self.arguments]


@dataclass
class ImageConfig:
    """What the image keeps besides its files, as ``docker inspect`` would show it."""

    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    user: str = "root"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def steps(text: str) -> list[Step]:
    """The instructions of a Dockerfile, continuation lines joined, comments dropped."""
    found, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        if whole:
            keyword, _, arguments = whole.partition(" ")
            found.append(Step(keyword.upper(), arguments.strip()))
    if pending.strip():
        raise UnsupportedDockerfile(f"the Dockerfile ends inside a continued line: {pending!r}")
    return found


def environment_step(step: Step, into: dict[str, str]) -> None:
    """Apply an ENV or ARG step's values to ``into``."""
    words = step.words()
    if step.keyword == "ENV" and len(words) >= 2 and "=" not in words[0]:
        into[words[0]] = " ".join(words[1:])  # the old form: ENV NAME value
        return
    for word in words:
        name, has_value, value = word.partition("=")
        if has_value or step.keyword == "ENV":
            into[name] = value
        else:
            into.setdefault(name, "")


def check_supported(step: Step) -> None:
    """Refuse what the harness cannot build, naming the instruction."""
    known = ("FROM", "COPY", "ADD", "RUN", "ENV", "ARG", "WORKDIR", "USER", "ENTRYPOINT", "CMD")
    if step.keyword in IGNORED:
        return
    if step.keyword not in known:
        raise UnsupportedDockerfile(f"{step.keyword} {step.arguments}: not built by the harness")
    if step.keyword in ("COPY", "ADD"):
        if any(word.startswith("--from") for word in step.words()):
            raise UnsupportedDockerfile(f"{step.keyword} --from: multi-stage builds are not built")
        if step.keyword == "ADD" and "://" in step.arguments:
            raise UnsupportedDockerfile(f"ADD {step.arguments}: a download, not built offline")

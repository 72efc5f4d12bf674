"""Where the watch stages what it handles (the notebooks its graders read; the messages it
collects are read in memory, once): ``OUT/.watch-staging/<one folder per running watch>``, each
locked while its watch runs; a watch, as it starts, removes those of watches that were killed
(:mod:`grader.scratch`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from grader.scratch import Scratch

STAGING = ".watch-staging"


class Staging(Scratch):
    """This watch's staging folder; :meth:`folder` makes a new one inside it."""

    def __init__(self, out: Path):
        super().__init__(out / STAGING, "watch-")

    def folder(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(dir=self.path, prefix=prefix))

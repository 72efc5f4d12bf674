"""The text output of one run, kept up to a byte budget; the rest is counted and dropped."""

from __future__ import annotations

import codecs
import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Transcript:
    """Output as a person would read it: the first ``budget`` bytes, the grader's notes, and
    how much was dropped (here, or at the source by the sandbox's own cap)."""

    def __init__(self, budget: int):
        self._budget = budget
        self._kept: list[str] = []
        self._kept_bytes = 0
        self._dropped_here = 0
        self._dropped_at_source = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def add_bytes(self, data: bytes) -> None:
        """Raw bytes from the sandbox's output pipe; past the budget only counted."""
        room = self._budget - self._kept_bytes
        if room <= 0:
            self._dropped_here += len(data)
            return
        if len(data) > room:
            self._dropped_here += len(data) - room
            data = data[:room]
        self._kept_bytes += len(data)
        text = _ANSI.sub("", self._decoder.decode(data))
        if text:
            self._kept.append(text)

    def dropped_at_source(self, count: int) -> None:
        """The sandbox's own count of bytes it did not send (it only grows)."""
        if isinstance(count, int):
            self._dropped_at_source = max(self._dropped_at_source, count)

    @property
    def dropped_bytes(self) -> int:
        return self._dropped_here + self._dropped_at_source

    @property
    def truncated(self) -> bool:
        return self.dropped_bytes > 0

    def note(self, text: str) -> None:
        """Add the grader's own remark, past the budget if need be: it is short and rare."""
        self._kept.append(f"\n[{text}]\n")

    @property
    def text(self) -> str:
        kept = "".join(self._kept)
        if self.dropped_bytes:
            kept += f"\n[... {self.dropped_bytes} bytes dropped]\n"
        return kept

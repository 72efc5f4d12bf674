"""Runs in the sandboxed kernel as it starts: stop sending text output past the grader's cap.

The grader keeps at most ``GRADER_OUTPUT_BYTES`` of output. Dropping the rest here, at the
source, keeps a flood off the wire; what is dropped is counted in the metadata of the stream
messages that still go out, so the grader can say how much was lost. Student code can undo
this; the grader's own cap and message size limit do not depend on it.
"""

from __future__ import annotations

import os
import sys


def install() -> None:
    """Cap stdout and stderr of this kernel (ipykernel's streams) together."""
    budget = int(os.environ.get("GRADER_OUTPUT_BYTES") or 0)
    if budget <= 0:
        return
    state = {"left": budget, "dropped": 0}

    def cap(msg: dict) -> dict | None:
        data = msg["content"]["text"].encode("utf-8", "replace")
        kept = data[: max(state["left"], 0)]
        state["left"] -= len(kept)
        if len(kept) < len(data):
            state["dropped"] += len(data) - len(kept)
            msg["content"]["text"] = kept.decode("utf-8", "ignore")
            msg["metadata"]["grader_dropped_bytes"] = state["dropped"]
        return msg

    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "register_hook") and getattr(stream, "pub_thread", None):
            # Hooks are per thread, and messages are sent from the IO thread.
            stream.pub_thread.schedule(lambda stream=stream: stream.register_hook(cap))

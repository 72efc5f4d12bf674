"""A file's size as a person reads it ("812 B", "3.4 KB", "12.0 MB"), in messages and on the
pages a submission's files are listed on."""

from __future__ import annotations


def format_size(size: int) -> str:
    """``size`` bytes in B, KB or MB (of 1,024), one decimal above a kilobyte."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"

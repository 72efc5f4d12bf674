"""A student's files as the dashboard shows them, none of them live.

Report pages are rendered to PNG by pdftoppm; the notebook is converted to HTML by nbconvert
and served with a Content-Security-Policy ``sandbox`` and no script source, inside a sandboxed
iframe, so nothing a student wrote (HTML outputs, script tags, file names) runs in the
instructor's browser. Renders are cached under ``<out>/.serve-cache/`` by content hash.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from grader.limits import WEB

# Served with every student-made file: it may show itself, never run anything or load anything.
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
)
RENDER_DPI = 80  # report pages: readable beside the rubric, light to send
# The look of a notebook shown to the marker (no script, no external resource).
_NOTEBOOK_STYLE = (Path(__file__).parent / "templates" / "notebook.css").read_text()


def inside(path: Path, folder: Path) -> Path | None:
    """``path`` with every link resolved, if it is a regular file within ``folder`` (itself
    resolved); None otherwise. A link a student planted never reaches outside their folder."""
    try:
        real = path.resolve(strict=True)
        root = folder.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a loop of links
        return None
    return real if real.is_relative_to(root) and real.is_file() else None


def hand_in_file(checks: dict, key: str) -> Path | None:
    """A handed-in file the project checks recorded, if it is still there and inside the
    hand-in folder they recorded (checks from before that was recorded show no file)."""
    recorded = (checks.get("files") or {}).get(key)
    folder = checks.get("folder")
    if not isinstance(recorded, str) or not isinstance(folder, str):
        return None
    return inside(Path(recorded), Path(folder))


def _cache(out: Path, source: Path, kind: str) -> Path:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:24]
    folder = out / ".serve-cache" / f"{kind}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def report_pages(out: Path, pdf: Path) -> list[Path]:
    """The PNG of every page of ``pdf`` (rendered once); [] when it cannot be rendered."""
    folder = _cache(out, pdf, "report")
    pages = sorted(folder.glob("page-*.png"))
    if pages:
        return pages
    try:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(RENDER_DPI), "-l", "6", str(pdf), str(folder / "page")],
            check=True,
            capture_output=True,
            timeout=WEB.render_timeout_s,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(folder.glob("page-*.png"))


def notebook_html(out: Path, notebook: Path) -> str:
    """The notebook as static HTML (cached); a readable message when it cannot be converted."""
    cached = _cache(out, notebook, "notebook") / "notebook.html"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    try:
        nb = nbformat.read(notebook, as_version=4)
        # The "basic" template: the cells only, no script or stylesheet from a CDN.
        body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
        html = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<style>{_NOTEBOOK_STYLE}</style></head><body>{body}</body></html>"
        )
    except Exception as error:  # any broken file: say so instead of failing the page
        # Only the kind of error: its message may quote the file, and the file is not shown.
        html = (
            '<!doctype html><meta charset="utf-8"><body style="font:15px system-ui">'
            f"<p>This notebook cannot be shown: it is not a readable notebook "
            f"({type(error).__name__}). Open the student's file to see what it holds.</p>"
        )
    cached.write_text(html, encoding="utf-8")
    return html

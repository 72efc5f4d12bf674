"""A student's files as the dashboard shows them, none of them live.

Report pages are rendered to PNG by pdftoppm; the notebook is converted to HTML by nbconvert
and served with a Content-Security-Policy ``sandbox`` and no script source, inside a sandboxed
iframe, so nothing a student wrote (HTML outputs, script tags, file names) runs in the
instructor's browser. Renders are cached under ``<out>/.serve-cache/`` by content hash.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import nbformat
from markupsafe import Markup
from nbconvert import HTMLExporter

from grader import templating
from grader.limits import WEB, WRITTEN

# Served with every student-made file: it may show itself, never run anything or load anything.
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:"
)
# Bumped when the redaction changes: a blind notebook rendered before is rendered afresh.
_SCRUB_VERSION = 2
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")  # pasted images shown
RENDER_DPI = 80  # report pages: readable beside the rubric, light to send


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


def _scrub_notebook(nb: nbformat.NotebookNode, scrub: Callable[[str], str]) -> None:
    """Every text a cell shows passed through ``scrub``, its pasted images' names too; the
    metadata (Colab's names the owner's account) emptied, as it stays valid."""
    nb.metadata = nbformat.NotebookNode()
    for cell in nb.cells:
        cell.attachments = _pasted_images(cell)
        if not cell.attachments:
            cell.pop("attachments")
        cell.source = scrub(cell.source)
        cell.metadata = nbformat.NotebookNode()
        for output in cell.get("outputs", []):
            if "text" in output:
                output.text = scrub(output.text)
            if "metadata" in output:
                output.metadata = nbformat.NotebookNode()
            if "traceback" in output:
                output.traceback = [scrub(line) for line in output.traceback]
            data = output.get("data", {})
            for kind, value in list(data.items()):
                if isinstance(value, str) and (kind.startswith("text/") or "svg" in kind):
                    data[kind] = scrub(value)
                elif not isinstance(value, str):  # JSON: its strings scrubbed, still JSON
                    data[kind] = json.loads(scrub(json.dumps(value)))


def _pasted_images(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A cell's pasted images (Jupyter's and Colab's attachments) renamed ``pasted-N`` in the
    cell's text and its attachments alike (a name may carry the student's), within the byte
    limit; other kinds (SVG, HTML) left out: an image shows, nothing runs."""
    kept = nbformat.NotebookNode()
    room = WRITTEN.attachment_bytes
    attached = cell.get("attachments")
    for number, (name, bundle) in enumerate(attached.items() if isinstance(attached, dict) else ()):
        images = {
            mime: "".join(data.split())
            for mime, data in (bundle.items() if isinstance(bundle, dict) else ())
            if mime in _IMAGES and isinstance(data, str)
        }
        size = sum(len(data) for data in images.values())
        if images and size <= room:
            room -= size
            kept[f"pasted-{number + 1}"] = nbformat.NotebookNode(images)
            cell.source = cell.source.replace(
                f"attachment:{name}", f"attachment:pasted-{number + 1}"
            )
    return kept


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
            [
                "pdftoppm",
                "-png",
                "-r",
                str(RENDER_DPI),
                "-l",
                str(WEB.report_pages),
                str(pdf),
                str(folder / "page"),
            ],
            check=True,
            capture_output=True,
            timeout=WEB.render_timeout_s,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(folder.glob("page-*.png"))


def notebook_html(
    out: Path, notebook: Path, scrub: Callable[[str], str] | None = None, scrub_key: str = ""
) -> str:
    """The notebook as static HTML (cached); a readable message when it cannot be converted.
    With ``scrub`` (blind marking), every cell's text and text outputs pass through it first,
    and the notebook's metadata (Colab's, with the owner's account) is left out; ``scrub_key``
    names what it redacts (the roster's digest), so a roster edit renders afresh."""
    kind = "notebook" if scrub is None else f"notebook-blind-{_SCRUB_VERSION}-{scrub_key}"
    cached = _cache(out, notebook, kind) / "notebook.html"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    try:
        nb = nbformat.read(notebook, as_version=4)
        if scrub is not None:
            _scrub_notebook(nb, scrub)
        # The "basic" template: the cells only, no script or stylesheet from a CDN.
        body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
        html = templating.render("notebook_page.html", cells=Markup(body))  # nbconvert's HTML
    except Exception as error:  # any broken file: say so instead of failing the page
        # Only the kind of error: its message may quote the file, and the file is not shown.
        html = templating.render("notebook_page.html", cells=None, error=type(error).__name__)
    cached.write_text(html, encoding="utf-8")
    return html

"""PDFs that stall a reader, as they turn up in hand-ins: pages whose content stream holds a
180,000 text operators (a chart exported point by point, a "print to PDF" of a
huge table), compressed as every PDF writer compresses it, with a broken cross-reference table
and trailer (an upload cut short and "repaired"), so that the reader must first rebuild the
file's object list by scanning it."""

from __future__ import annotations

import zlib
from pathlib import Path

# pypdf gives up on a content stream past 2,000,000 tokens; each operator here brings 10.
_OPERATORS = 180_000


def stalling_pdf(path: Path, pages: int = 7) -> Path:
    """A PDF whose text takes pypdf about ten seconds of CPU and 400 MB a page to extract
    (some 50 µs an operator), a minute at the default seven pages; 50 KB on disk, since every
    page shows the same content stream."""
    content = b"".join(
        b"BT /F1 9 Tf %d %d Td (cell) Tj ET\n" % (n % 7 * 80, n % 11 * 70)
        for n in range(_OPERATORS)
    )
    packed = zlib.compress(content, 9)
    kids = b" ".join(b"%d 0 R" % (6 + page) for page in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Font << /F1 3 0 R >> >>",
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 5 0 R /Contents 4 0 R >>"
    ] * pages
    data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    for number, body in enumerate(objects, 1):
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    # The cross-reference table is cut off and startxref points past the end of the file.
    data += b"xref\n0 6\n0000000000 65535 f \ntrailer\n<< /Size 6 >>\nstartxref\n9999999\n%%EOF\n"
    path.write_bytes(data)
    return path

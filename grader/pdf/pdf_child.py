"""Read a PDF in a child process under CPU-time and memory limits; run by path (``python -I
pdf_child.py PDF PAGES CPU_SECONDS MEMORY_BYTES``) so that it imports pypdf and nothing of the
grader. It prints one JSON line: the page count, each page's size, the text of the first
pages and whether they hold images; or the kind of problem (``password``, ``damaged``,
``memory``). Only the parent words a problem for a student; library messages stay here.
"""

from __future__ import annotations

import json
import resource
import sys

_MEMORY = '{"problem": "memory"}'  # made before memory can run out


def _limit(cpu_seconds: int, memory_bytes: int) -> None:
    """The kernel stops this process past ``cpu_seconds`` of CPU (SIGXCPU, then SIGKILL a second
    later) and refuses it memory past ``memory_bytes`` of address space (MemoryError)."""
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _image_count(page) -> int:
    resources = page.get("/Resources") or {}
    objects = resources.get("/XObject") or {}
    return sum(1 for name in objects if objects[name].get("/Subtype") == "/Image")


def _facts(path: str, read_pages: int) -> dict:
    import logging

    from pypdf import PdfReader

    logging.disable(logging.CRITICAL)  # damaged-file chatter: the parent words the findings
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):  # owner-password-only opens with ""
            return {"problem": "password"}
        pages = reader.pages
        sizes = [[float(page.cropbox.width), float(page.cropbox.height)] for page in pages]
    except MemoryError:
        raise
    except Exception:  # any damage in a PDF from the wild is a finding, never a crash
        return {"problem": "damaged"}
    texts, unreadable, images = [], [], 0
    for number in range(min(len(pages), read_pages)):
        try:
            page = pages[number]
            texts.append(page.extract_text() or "")
            images += _image_count(page)
        except MemoryError:
            raise
        except Exception:  # one damaged page (an odd filter, a broken font) is that page's
            texts.append("")
            unreadable.append(number + 1)
    return {
        "pages": len(sizes),
        "sizes": sizes,
        "texts": texts,
        "unreadable": unreadable,
        "images": images,  # image objects on the first pages
    }


def main() -> None:
    path, read_pages, cpu_seconds, memory_bytes = sys.argv[1], *map(int, sys.argv[2:5])
    _limit(cpu_seconds, memory_bytes)
    try:
        found = _facts(path, read_pages)
    except MemoryError:
        sys.stdout.write(_MEMORY + "\n")
        return
    except RecursionError:
        found = {"problem": "damaged"}
    sys.stdout.write(json.dumps(found) + "\n")


if __name__ == "__main__":
    main()

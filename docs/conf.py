"""Sphinx's settings for the documentation site (`make docs`; `make test` builds it strictly).

Pages are Markdown (MyST). The reference pages are generated from the code as they are read
(``_ext/grader_reference.py``). Nothing is fetched: the build works offline.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "_ext"), str(HERE.parent)]  # the extension, and the checkout's grader

project = "LSTM course grader"
author = "the course's instructors"
copyright = "the course's instructors"

extensions = ["myst_parser", "grader_reference"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Links such as [the sandbox](../admins/sandbox.md#what-is-guaranteed) resolve to headings.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence", "deflist"]
# Every reference must resolve: a broken internal link is a warning, and the strict build
# (sphinx-build -W) turns warnings into errors.
nitpicky = True

html_theme = "furo"
html_title = "LSTM course grader"
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False
pygments_style = "sphinx"
# Quotes stay as typed: commands and TOML values are copied from these pages.
smartquotes = False

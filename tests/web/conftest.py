"""What the dashboard's tests share: one chromium per test module."""

from __future__ import annotations

import pytest
from web_kit import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("the web tests need Debian's chromium: apt-get install chromium")
    with pytest.importorskip("playwright.sync_api").sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()

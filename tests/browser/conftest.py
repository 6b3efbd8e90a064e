"""Fixtures for the browser tests: one JupyterLab and one headless Chromium per session.

Chromium may only load pages from 127.0.0.1: every other request is blocked and remembered,
and the tests assert none happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_session import ARTIFACTS, CHROMIUM_FLAGS, HOST, LabServer, chromium_path


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """The session's JupyterLab server (stopped, with its kernels, at the end)."""
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_context(lab_server):
    """One headless Chromium context for every test; only 127.0.0.1 may be reached.

    Yields:
        (context, blocked): the Playwright context and the list of blocked URLs.
    """
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def only_loopback(route):
        url = route.request.url
        if url.startswith((f"http://{HOST}:", f"ws://{HOST}:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,  # Playwright gives it a fresh, empty profile
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route("**/*", only_loopback)
        yield context, blocked
        context.close()
        browser.close()

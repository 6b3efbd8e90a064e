"""Fixtures for the browser tests: one JupyterLab and one headless Chromium per session.

Chromium may only load pages from 127.0.0.1: every other request is blocked and remembered,
and the tests assert none happened.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_session import ARTIFACTS, LabServer
from loopback import loopback_context


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
def browser_context(lab_server, chromium_browser):
    """One headless Chromium context for every test; only 127.0.0.1 may be reached.

    Yields:
        (context, blocked): the Playwright context and the list of blocked URLs.
    """
    with loopback_context(chromium_browser) as (context, blocked):
        yield context, blocked

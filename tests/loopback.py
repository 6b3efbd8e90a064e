"""What every test that starts a server or a browser shares: loopback only.

Servers bind to 127.0.0.1 on a free port chosen at random; Chromium (the distribution's
binary, since Playwright downloads no browser here) may load pages from 127.0.0.1 only:
every other HTTP(S) request is blocked and remembered, so a test can assert none happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Route

HOST = "127.0.0.1"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# JupyterLab user settings for tests: no update check, no news, every cell in the DOM.
QUIET_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def write_lab_settings(settings_dir: Path, settings: dict[str, dict]) -> None:
    """Write JupyterLab user settings files (``{relative path: values}``) under a folder."""
    for name, values in settings.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    """The Chromium binary: $MESATOYS_CHROMIUM, the Debian binary, or one on PATH."""
    candidates = [
        os.environ.get("MESATOYS_CHROMIUM"),
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


def browser_requirements() -> list[tuple[str, bool]]:
    """(what to install, whether it is there) for the tests that drive Chromium."""
    return [
        ("Chromium (apt-get install chromium)", chromium_path() is not None),
        ("Playwright (pip install playwright)", find_spec("playwright") is not None),
    ]


def skip_module_unless(tests: str, requirements: list[tuple[str, bool]]) -> None:
    """Skip the calling test module, saying what to install, if a requirement is missing."""
    import pytest

    missing = [what for what, there in requirements if not there]
    if missing:
        pytest.skip(
            f"{tests} need " + " and ".join(missing) + "; install them to run these tests",
            allow_module_level=True,
        )


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium under Playwright; one per test session (Playwright's sync API
    allows only one running instance per thread, so tests share it through a fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_FLAGS,  # each context gets a fresh, empty profile
        )
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def loopback_context(
    browser: Browser, width: int = 1400, height: int = 1000
) -> Iterator[tuple[BrowserContext, list[str]]]:
    """A fresh browser context (no cookies, no storage) that may only reach 127.0.0.1.

    Yields:
        (context, blocked): the Playwright browser context, and the list of URLs it was
        refused (empty if the pages only asked for loopback addresses).
    """
    blocked: list[str] = []

    def only_loopback(route: Route) -> None:
        url = route.request.url
        if url.startswith(f"http://{HOST}:"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context = browser.new_context(viewport={"width": width, "height": height})
    context.route("**/*", only_loopback)
    try:
        yield context, blocked
    finally:
        context.close()

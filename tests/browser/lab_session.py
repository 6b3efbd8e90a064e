"""A JupyterLab server for the browser tests.

One JupyterLab server runs for the whole session, on 127.0.0.1 with a random free port and
a random token, in a temporary folder holding a copy of ``notebooks/``. Its kernels save
progress under a temporary ``MESATOYS_HOME``; update checks and news are switched off.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from loopback import HOST, QUIET_LAB_SETTINGS, free_port, write_lab_settings

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts" / "browser"
STARTUP_TIMEOUT_S = 60


class LabServer:
    """A JupyterLab server process in a temporary root folder."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "mesatoys-home"
        self.port = free_port()
        self.token = secrets.token_hex(24)
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log_path = root / "jupyterlab.log"

    def _prepare(self) -> None:
        shutil.copytree(NOTEBOOKS_DIR, self.root / "notebooks")
        self.home.mkdir()
        write_lab_settings(self.root / "lab-user-settings", QUIET_LAB_SETTINGS)
        for name in ("jupyter-config", "jupyter-data", "jupyter-runtime", "workspaces"):
            (self.root / name).mkdir()

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
        env.update(
            MESATOYS_HOME=str(self.home),
            JUPYTER_CONFIG_DIR=str(self.root / "jupyter-config"),
            # A learner's Lab, as `make lab` starts it: nbgrader's instructor tools hidden.
            JUPYTER_CONFIG_PATH=str(REPO / "deploy" / "student-config"),
            JUPYTER_DATA_DIR=str(self.root / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(self.root / "jupyter-runtime"),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        )
        return env

    def command(self) -> list[str]:
        """The JupyterLab command line."""
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--ip={HOST}",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            f"--LabApp.user_settings_dir={self.root / 'lab-user-settings'}",
            f"--LabApp.workspaces_dir={self.root / 'workspaces'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def api(self, path: str, method: str = "GET") -> object:
        """Call the server's REST API with the token; returns the decoded JSON (or None)."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            body = response.read()
        return json.loads(body) if body else None

    def start(self) -> None:
        """Start the server and wait until its API answers."""
        self._prepare()
        log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.root,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start-up:\n{self.log_tail()}")
            try:
                self.api("/api/status")
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.25)
            else:
                return
        self.stop()
        raise RuntimeError(f"JupyterLab not ready after {STARTUP_TIMEOUT_S} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the server and its kernels down (politely, then by force)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.api("/api/shutdown", method="POST")
            self.process.wait(timeout=20)
        except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
            pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

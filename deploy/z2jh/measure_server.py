"""Measure what one student's server needs: memory and CPU of JupyterLab plus a kernel.

Starts a JupyterLab server as a student gets it (nbgrader's instructor tools hidden, one BLAS
thread, pinned to one core as ``singleuser.cpu.limit: 1`` allows), opens it in headless
Chromium, opens the course's heaviest notebook and runs it with *Run All*, then closes the
notebook's tab. Everything runs on 127.0.0.1 with a random port and token; the server and
its kernel are stopped at the end of every run.

While it runs, the resident memory (RSS) of the server and of every process it started (the
kernel) is sampled every 0.1 s; the peak of their sum is what a pod's memory limit must
hold. Peak RSS per process (``VmHWM``) and CPU time (user + system) come from ``/proc``.

Usage (from the repository root, with the project's environment)::

    .venv/bin/python deploy/z2jh/measure_server.py            # 3 runs, JSON on stdout
    .venv/bin/python deploy/z2jh/measure_server.py --runs 1 --notebook 06_defenses

Needs Linux (``/proc``), psutil, Playwright and a Chromium binary (docs/deploy.md,
*Sizing a class*, reports the numbers this printed).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
TIMEOUT_MS = 180_000
MB = 1024 * 1024

_RUN_ALL = """async (path) => {
  const app = window.jupyterapp;
  await app.restored;
  const panel = await app.commands.execute('docmanager:open', {path});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const t0 = performance.now();
  await app.commands.execute('notebook:run-all-cells');
  while (panel.sessionContext.session.kernel.status !== 'idle') {
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return (performance.now() - t0) / 1000;
}"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sampler(threading.Thread):
    """Samples the summed RSS of a process and its descendants until stopped."""

    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.every_s = every_s
        self.peak_total = 0
        self.running = True

    def tree(self) -> list[psutil.Process]:
        """The server and every process it started."""
        return [self.root, *self.root.children(recursive=True)]

    def run(self) -> None:
        """Sample until :meth:`stop` is called."""
        while self.running:
            total = 0
            for proc in self.tree():
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    continue
            self.peak_total = max(self.peak_total, total)
            time.sleep(self.every_s)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self.running = False
        self.join()


def hwm_mb(pid: int) -> float:
    """Peak resident memory (``VmHWM``) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmHWM for pid {pid}")


def cpu_s(proc: psutil.Process) -> float:
    """User + system CPU seconds a process has used so far."""
    times = proc.cpu_times()
    return times.user + times.system


def start_server(root: Path, port: int, token: str) -> subprocess.Popen:
    """JupyterLab in ``root`` as a student's server runs, on one core."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "MPL"))}
    env.update(
        HOME=str(root),
        MESATOYS_HOME=str(root / ".mesatoys"),
        JUPYTER_CONFIG_PATH=str(REPO / "deploy" / "student-config"),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
    )
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1"]
    cmd += [f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.token={token}"]
    cmd += ["--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    cmd += ["--LabApp.expose_app_in_browser=True"]
    cmd += ["--allow-root"] if os.geteuid() == 0 else []
    return subprocess.Popen(
        cmd,
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
    )


def wait_ready(url: str, token: str, timeout_s: float = 60) -> None:
    """Wait until the server's API answers."""
    deadline = time.monotonic() + timeout_s
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        try:
            opener.open(f"{url}/api/status?token={token}", timeout=5).read()
            return
        except OSError:
            time.sleep(0.25)
    raise TimeoutError(f"JupyterLab at {url} not ready after {timeout_s} s")


def stop_server(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (its process group)."""
    if server.poll() is None:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait(timeout=10)


def run_notebook_in_lab(url: str, token: str, path: str) -> float:
    """Open JupyterLab in Chromium, Run All on ``path``; return the run's wall seconds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{url}/lab/workspaces/measure?reset&token={token}", timeout=TIMEOUT_MS)
            page.wait_for_function("() => window.jupyterapp", timeout=TIMEOUT_MS)
            return page.evaluate(_RUN_ALL, path)
        finally:
            browser.close()


def one_run(notebook: str) -> dict[str, float]:
    """Start a fresh server, run ``notebook`` in it through the browser, measure, stop."""
    root = Path(tempfile.mkdtemp(prefix="mesatoys-measure-"))
    server = None
    try:
        shutil.copytree(REPO / "notebooks", root / "notebooks")
        port, token = free_port(), secrets.token_hex(16)
        url = f"http://127.0.0.1:{port}"
        t0 = time.monotonic()
        server = start_server(root, port, token)
        wait_ready(url, token)
        started_s = time.monotonic() - t0
        proc = psutil.Process(server.pid)
        idle_rss = proc.memory_info().rss / MB
        sampler = Sampler(server.pid)
        sampler.start()
        run_s = run_notebook_in_lab(url, token, f"notebooks/{notebook}.ipynb")
        sampler.stop()
        kernels = [p for p in proc.children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
        if len(kernels) != 1:
            raise RuntimeError(f"expected one kernel, found {len(kernels)}")
        kernel = kernels[0]
        return {
            "server_start_s": round(started_s, 2),
            "run_all_s": round(run_s, 2),
            "server_rss_idle_mb": round(idle_rss, 1),
            "server_rss_after_mb": round(proc.memory_info().rss / MB, 1),
            "server_peak_mb": round(hwm_mb(server.pid), 1),
            "kernel_rss_after_mb": round(kernel.memory_info().rss / MB, 1),
            "kernel_peak_mb": round(hwm_mb(kernel.pid), 1),
            "pod_peak_total_rss_mb": round(sampler.peak_total / MB, 1),
            "server_cpu_s": round(cpu_s(proc), 2),
            "kernel_cpu_s": round(cpu_s(kernel), 2),
        }
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Measure ``--runs`` fresh servers and print every run and the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh servers to measure")
    parser.add_argument("--notebook", default="03_inner_alignment", help="notebook name")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    runs = [one_run(args.notebook) for _ in range(args.runs)]
    medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(json.dumps({"notebook": args.notebook, "runs": runs, "median": medians}, indent=1))


if __name__ == "__main__":
    main()

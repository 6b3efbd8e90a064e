"""The sandboxed kernel itself: what a student's code can see, reach and use.

Each test starts real kernels with :class:`SandboxedKernelManager` (bubblewrap) and runs
cells in them with nbclient, as autograding does.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import course as c
import nbformat
import pytest
from nbclient import NotebookClient

from mesatoys.grading.kernel import SandboxedKernelManager
from mesatoys.grading.sandbox import python_paths

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _sandbox():
    c.require_sandbox()


def run_cells(sources: list[str], folder: Path, timeout: int = 20) -> list[str]:
    """Run cells in a fresh sandboxed kernel; each cell's printed text and errors."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        kernel_manager_class=SandboxedKernelManager,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    texts = []
    for cell in nb.cells:
        parts = [o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs]
        texts.append("".join(parts))
    return texts


@pytest.fixture
def submission(tmp_path) -> Path:
    folder = tmp_path / "submitted" / "ann" / "quiz"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("1,2\n")
    (folder / "quiz.ipynb").write_text('{"hidden": "BEGIN HIDDEN TESTS"}')
    (folder / "link.txt").symlink_to(c.source_path(c.QUIZ))
    return folder


def test_the_kernel_sees_only_its_submission_and_the_python_environment(submission):
    secret = c.source_path(c.QUIZ)
    probes = [
        "import os; print(sorted(os.listdir('.')))",
        f"print(open({str(secret)!r}).read()[:20])",
        f"print(os.listdir({str(c.COURSE)!r}))",
        f"print(os.listdir({str(submission.parents[2])!r}))",
        "print(os.listdir('/gradebook.db'))",
        f"print(sorted(os.listdir({str(c.REPO)!r})))",
        "print(os.getuid() != 0,"
        " open('/proc/self/status').read().count('CapEff:\\t0000000000000000'))",
        "print(sorted(k for k in os.environ if 'SECRET' in k))",
    ]
    os.environ["MESATOYS_TEST_SECRET"] = "do-not-pass-on"
    try:
        out = run_cells(probes, submission)
    finally:
        del os.environ["MESATOYS_TEST_SECRET"]
    assert "data.csv" in out[0] and "quiz.ipynb" not in out[0] and "link.txt" not in out[0]
    for text in out[1:5]:
        assert text.startswith(("FileNotFoundError", "PermissionError")), text
    visible = {
        Path(p).relative_to(c.REPO).parts[0] for p in python_paths() if c.REPO in Path(p).parents
    }
    assert set(eval(out[5])) <= visible  # noqa: S307 (a list our own cell printed)
    assert "assignments" not in out[5] and "tests" not in out[5]
    assert out[6].strip() == "True 1"
    assert out[7].strip() == "[]"


def test_the_kernel_can_write_only_its_own_home_and_tmp(submission):
    out = run_cells(
        [
            "open('mine.txt', 'w').write('ok'); print(open('mine.txt').read())",
            "open('/tmp/x', 'w').write('ok'); print('tmp ok')",
            f"open({str(c.REPO / 'pwned.txt')!r}, 'w')",
            f"open({str(python_paths()[0])!r} + '/pwned.txt', 'w')",
            "open('big', 'wb').write(b'x' * (300 * 1024 * 1024))",
        ],
        submission,
    )
    assert out[0].strip() == "ok" and out[1].strip() == "tmp ok"
    assert out[2].startswith(("FileNotFoundError", "PermissionError", "OSError"))
    assert out[3].startswith(("OSError", "PermissionError")), out[3]  # read-only
    assert out[4].startswith("OSError"), out[4]  # the file-size limit or the home's size
    assert not (c.REPO / "pwned.txt").exists()
    assert not (submission / "mine.txt").exists()  # nothing comes back


def test_the_kernel_has_no_network_not_even_the_hosts_loopback(submission):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    try:
        out = run_cells(
            [
                f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), 2)\n"
                "    print('connected')\nexcept OSError as e:\n    print(type(e).__name__)",
                "try:\n    socket.create_connection(('1.1.1.1', 53), 2)\n    print('connected')\n"
                "except OSError as e:\n    print(type(e).__name__)",
            ],
            submission,
        )
    finally:
        server.close()
    assert out[0].strip() == "ConnectionRefusedError"
    assert out[1].strip() in {"OSError", "TimeoutError"}


def test_memory_is_limited(submission):
    out = run_cells(
        ["x = bytearray(3 * 1024**3)", "import numpy as np; np.ones(10**9)"], submission
    )
    assert out[0].startswith("MemoryError") and out[1].startswith("MemoryError")


FORK_BOMB = """
import os, time
children, end = 0, time.time() + 20
try:
    while True:
        if os.fork() == 0:
            while time.time() < end:  # every child spins on a core
                pass
            os._exit(0)
        children += 1
except OSError as error:
    print(children, type(error).__name__)
"""


def test_a_fork_bomb_is_contained_and_leaves_other_sandboxes_working(submission, tmp_path):
    """Two sandboxes at once: one forks until its process limit, the other still runs."""
    other = tmp_path / "other"
    other.mkdir()
    results = {}

    def bomb():
        results["bomb"] = run_cells([FORK_BOMB, "import time; time.sleep(10)"], submission)

    thread = threading.Thread(target=bomb)
    thread.start()
    time.sleep(3)  # the bomb is running
    t0 = time.perf_counter()
    results["other"] = run_cells(["import numpy; print(sum(range(10**6)))"], other)
    results["other_s"] = time.perf_counter() - t0
    thread.join(timeout=120)
    children, error = results["bomb"][0].split()
    assert 0 < int(children) < 64 and error == "BlockingIOError"
    assert results["other"][0].strip() == str(sum(range(10**6)))
    # The bomb's 60-odd spinning processes share one scheduling group (its session), so
    # the other sandbox still gets its share of the CPU: seconds, not minutes.
    assert results["other_s"] < 30, results["other_s"]
    assert _sandbox_processes_gone(within=10.0)


def _sandbox_processes_gone(within: float) -> bool:
    """Whether every process of a sandbox uid has ended (the pid namespace is torn down)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _uid(p) >= 61000]:
            return True
        time.sleep(0.2)
    return False


def _uid(proc: Path) -> int:
    try:
        return proc.stat().st_uid
    except OSError:
        return -1

"""Autograde a whole class, many submissions at once, to the end.

    python -m mesatoys.grading.batch --jobs 4 end_of_lesson_quiz lab_distribution_shift

run from the course root (``make course-autograde JOBS=4`` does this). For each assignment
it autogrades every ``submitted/<student>/<assignment>`` with nbgrader (the course's
``nbgrader_config.py``, so every submission runs in its own sandbox), in ``--jobs``
worker processes that each keep nbgrader loaded and take one student at a time. The
SQLite gradebook is created before the workers start; they share it through the busy
timeout in the course's ``db_url``.

Nothing one submission does stops the batch: a submission nbgrader cannot grade is
reported and the next one starts; a worker that dies or outlives ``--timeout`` is killed
(its sandbox with it) and replaced. At the end a summary lists every failure, and the exit
status is 1 if there was any (after every assignment was tried).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

READY = "ready"


@dataclass
class Result:
    """How one submission went."""

    assignment: str
    student: str
    success: bool
    seconds: float
    error: str = ""


@dataclass
class Worker:
    """A worker process and the submission it is grading."""

    process: subprocess.Popen
    student: str | None = None
    started: float = field(default_factory=time.monotonic)
    pending: bytes = b""


def students(root: Path, assignment: str) -> list[str]:
    """The students with a submission of ``assignment`` under ``root/submitted``."""
    folders = (root / "submitted").glob(f"*/{assignment}")
    return sorted(p.parent.name for p in folders if p.is_dir())


def load_api(root: Path):
    """Nbgrader's API with the configuration nbgrader's own commands would load here."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.nbgraderapp import NbGraderApp

    os.chdir(root)
    app = NbGraderApp()
    app.load_config_file()
    return NbGraderAPI(config=app.config)


# --- the worker ------------------------------------------------------------------------------


def work(assignment: str) -> None:
    """Worker loop: read student ids on stdin, autograde each, answer one JSON line each."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # nbgrader's own printing goes to stderr, never into the channel
    api = load_api(Path.cwd())
    print(READY, file=channel)
    for line in sys.stdin:
        student = line.strip()
        t0 = time.monotonic()
        try:
            outcome = api.autograde(assignment, student, force=True, create=True)
            success, error = bool(outcome["success"]), _last_error(outcome)
        except Exception as exc:  # reported per submission; the worker goes on
            success, error = False, f"{type(exc).__name__}: {exc}"
        result = Result(assignment, student, success, time.monotonic() - t0, error)
        print(json.dumps(result.__dict__), file=channel)


def _last_error(outcome: dict) -> str:
    if outcome.get("success"):
        return ""
    text = str(outcome.get("error") or outcome.get("log") or "unknown error")
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "unknown error"


# --- the parent ---------------------------------------------------------------------------------


def grade(root: Path, assignment: str, jobs: int, timeout: float) -> list[Result]:
    """Autograde every submission of ``assignment`` with ``jobs`` workers.

    Args:
        root: The course root.
        assignment: Assignment id.
        jobs: Worker processes (at least 1).
        timeout: Seconds one submission may take before its worker is killed.

    Returns:
        One result per submission, in the order they finished.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an integer >= 1, got {jobs!r}")
    queue, results = students(root, assignment), []
    _prepare_gradebook(root)
    workers = [_start(root, assignment) for _ in range(min(jobs, len(queue)))]
    while queue or any(w.student for w in workers):
        for i, worker in enumerate(workers):
            if worker.student is None and queue:
                _send(worker, queue.pop(0))
            elif worker.student is not None:
                result = _collect(worker, assignment, timeout)
                if result is not None:
                    results.append(result)
                    _report(result)
                    if worker.process.poll() is not None:
                        workers[i] = _start(root, assignment)
        time.sleep(0.02)
    for worker in workers:
        _stop(worker)
    return results


def _prepare_gradebook(root: Path) -> None:
    api = load_api(root)
    with api.gradebook:  # creates the database before the workers share it
        pass


def _start(root: Path, assignment: str) -> Worker:
    process = subprocess.Popen(
        [sys.executable, "-m", "mesatoys.grading.batch", "--worker", assignment],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    os.set_blocking(process.stdout.fileno(), False)
    return Worker(process)


def _send(worker: Worker, student: str) -> None:
    worker.student, worker.started = student, time.monotonic()
    try:
        worker.process.stdin.write(student.encode() + b"\n")
        worker.process.stdin.flush()
    except BrokenPipeError:
        pass  # the worker is gone; _collect reports it


def _collect(worker: Worker, assignment: str, timeout: float) -> Result | None:
    student, elapsed = worker.student, time.monotonic() - worker.started
    for line in _lines(worker):
        if line.startswith("{"):
            worker.student = None
            return Result(**json.loads(line))
    if worker.process.poll() is not None:
        worker.student = None
        return Result(assignment, student, False, elapsed, "the grading process died")
    if elapsed > timeout:
        _kill(worker)
        worker.student = None
        return Result(assignment, student, False, elapsed, f"took more than {timeout:.0f} s")
    return None


def _lines(worker: Worker) -> list[str]:
    """Complete lines the worker has written since the last call."""
    while True:
        try:
            chunk = os.read(worker.process.stdout.fileno(), 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        worker.pending += chunk
    *lines, worker.pending = worker.pending.split(b"\n")
    text = [ln.decode("utf-8", "replace").strip() for ln in lines]
    return [ln for ln in text if ln and ln != READY]


def _kill(worker: Worker) -> None:
    try:
        os.killpg(worker.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.process.wait()


def _stop(worker: Worker) -> None:
    try:
        worker.process.stdin.close()
        worker.process.wait(timeout=30)
    except (BrokenPipeError, subprocess.TimeoutExpired):
        _kill(worker)


def _report(result: Result) -> None:
    status = "graded" if result.success else "FAILED"
    note = f": {result.error}" if result.error else ""
    print(
        f"{status} {result.assignment} {result.student} ({result.seconds:.1f} s){note}", flush=True
    )


def summary(results: list[Result]) -> str:
    """A closing summary: counts, time per submission, and every failure."""
    failed = [r for r in results if not r.success]
    lines = [f"{len(results) - len(failed)} of {len(results)} submissions autograded"]
    if results:
        mean = sum(r.seconds for r in results) / len(results)
        lines[0] += f" ({mean:.1f} s each on average)"
    lines += [f"  failed: {r.assignment} {r.student}: {r.error}" for r in failed]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+")
    parser.add_argument("--jobs", type=int, default=1, help="parallel graders (default 1)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per submission")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="course root")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work(args.assignments[0])
        return 0
    results = []
    for assignment in args.assignments:
        t0 = time.monotonic()
        done = grade(args.root.resolve(), assignment, args.jobs, args.timeout)
        print(f"{assignment}: {len(done)} submissions in {time.monotonic() - t0:.1f} s", flush=True)
        results += done
    print(summary(results), flush=True)
    return 1 if any(not r.success for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""A learner's progress through the course, saved between sessions.

What is kept, per user, in one JSON file (``progress.json``):

- the notebook sections the learner has completed (each notebook marks its own with one
  call, :func:`complete`), with when each was first completed;
- every practice question answered: how many checked attempts, whether the first one was
  right, whether any was right, and the last answer (option indices);
- every coding exercise passed (:mod:`mesatoys.course.exercises`), with when it first passed;
- the practice quiz's score (notebook 07): the latest run's and the best;
- when the file was created and last updated, and its format version.

Where: ``$MESATOYS_HOME/progress.json`` if the ``MESATOYS_HOME`` environment variable is
set, else ``~/.mesatoys/progress.json``. On JupyterHub the home directory is the learner's
own and persists between sessions, so progress follows them from device to device.

A learner's progress is never lost:

- **Atomic writes.** A new version is written to a temporary file in the same folder,
  flushed to disk (``fsync``) and moved over the old one with :func:`os.replace`: a crash
  leaves either the old file or the new one, never half of each. The temporary files of
  a writer that was killed are removed by the next write.
- **Several kernels at once.** Every change takes an exclusive lock on
  ``progress.json.lock`` beside the file (:func:`fcntl.flock`), reads the file afresh,
  applies only its own change (one section, one answer) and writes the result, so changes
  from two notebooks open side by side both survive. (Where :mod:`fcntl` does not exist,
  on Windows, writes are still atomic but not locked.)
- **A symbolic link** named ``progress.json`` stays a link: the file it points to is
  written (atomically, in that file's folder).
- **A damaged file** (larger than :data:`MAX_FILE_BYTES`, nested deeper than
  :data:`MAX_DEPTH`, not JSON, or not this shape) is kept aside as
  ``progress.json.corrupt-<time>`` and a fresh file is started, with a warning.
- **A folder that cannot be written** (a read-only home, a full disk): the store keeps
  progress in memory for this session and warns once; nothing raises.
- **A file from a newer mesatoys** (a higher format version) is left untouched, with a
  warning, and this session's progress is kept in memory.
- :func:`reset` keeps the previous file as ``progress.json.before-reset-<time>``: every
  reset its own copy.

Practice questions record themselves: :func:`mesatoys.course.practice.questions` and
:meth:`mesatoys.course.practice.PracticeQuiz.from_bank` pass a :class:`Recorder` as
their ``on_result`` hook. :class:`ProgressView` shows it all on the start page.

This module imports the standard library, :mod:`mesatoys.course.bank`, the catalogue of
:mod:`mesatoys.course.exercises` (names only) and the neutral :mod:`mesatoys.display`;
ipywidgets loads only when a :class:`ProgressView` is first shown.

Example:
    >>> store = ProgressStore("/tmp/mesatoys-doc/progress.json")  # doctest: +SKIP
    >>> store.complete("06_defenses", "8. The big idea")  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import errno
import glob
import html
import json
import numbers
import os
import re
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from mesatoys.course.bank import load_bank
from mesatoys.course.exercises import ids_for as exercises_of
from mesatoys.display import ShowsWidget

try:
    import fcntl
except ImportError:  # Windows: atomic writes still, but no lock between processes
    fcntl = None

FORMAT_VERSION = 2
ENV_VAR = "MESATOYS_HOME"
FILE_NAME = "progress.json"
#: A progress file larger than this is damaged (a full course's record is a few kB).
MAX_FILE_BYTES = 1 << 20
#: A progress file nested deeper than this is damaged (a record is 4 levels deep).
MAX_DEPTH = 16
#: Without a lock (no :mod:`fcntl`), a temporary file this old (seconds) is a dead writer's.
UNLOCKED_TEMP_AGE = 600

#: The progress table's columns.
COLUMNS = ("notebook", "read to the end", "exercises", "practice questions", "left to do")
#: The sections each notebook marks as completed when its last cell runs (its end markers).
OUTLINE: dict[str, tuple[str, ...]] = {
    "01_the_two_layer_problem": ("10. What you should now be able to explain",),
    "02_mesa_optimization": ("9. What you should now be able to explain",),
    "03_inner_alignment": ("13. What you should now be able to explain",),
    "04_outer_alignment": ("10. What you should now be able to explain",),
    "05_deceptive_alignment": ("6. What you should now be able to explain",),
    "06_defenses": ("8. The big idea",),
    "07_end_of_lesson_quiz": ("Your score",),
}
TITLES = {
    "01_the_two_layer_problem": "01 · The two-layer problem",
    "02_mesa_optimization": "02 · Mesa-optimization",
    "03_inner_alignment": "03 · Inner alignment",
    "04_outer_alignment": "04 · Outer alignment",
    "05_deceptive_alignment": "05 · Deceptive alignment",
    "06_defenses": "06 · Defenses",
    "07_end_of_lesson_quiz": "07 · End-of-lesson practice quiz",
}
QUIZ = "07_end_of_lesson_quiz"


class ProgressWarning(UserWarning):
    """Progress could not be read or saved as usual; the message says what happened."""


class NewerFormatError(ValueError):
    """The progress file was written by a newer mesatoys, in a format this one cannot read."""


class CorruptProgressError(ValueError):
    """The progress file is not valid JSON of the expected shape, or is too large or deep."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def progress_dir() -> Path:
    """The folder of the progress file: ``$MESATOYS_HOME``, else ``~/.mesatoys``."""
    home = os.environ.get(ENV_VAR, "").strip()
    return Path(home).expanduser() if home else Path.home() / ".mesatoys"


def default_path() -> Path:
    """Where this user's progress is saved (see :func:`progress_dir`)."""
    return progress_dir() / FILE_NAME


def empty_progress() -> dict:
    """A new, empty progress record in the current format."""
    now = _now()
    return {
        "version": FORMAT_VERSION,
        "created": now,
        "updated": now,
        "sections": {},
        "answers": {},
        "quizzes": {},
        "exercises": {},
    }


# --- format: bounded decoding and validation ----------------------------------------------------


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise CorruptProgressError(what)


def _is_int(value: object, low: int = 0) -> bool:
    """Whether ``value`` is an integer >= ``low`` (numpy integers too; never a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low


def _check_answer(qid: object, rec: object) -> None:
    _require(isinstance(qid, str) and isinstance(rec, dict), f"answer {qid!r} is not a record")
    _require(_is_int(rec.get("attempts"), 1), f"answer {qid!r}: attempts")
    for key in ("right_first_time", "solved"):
        _require(isinstance(rec.get(key), bool), f"answer {qid!r}: {key}")
    last = rec.get("last_answer")
    _require(isinstance(last, list) and all(_is_int(i) for i in last), f"answer {qid!r}: last")


def _check_version(data: object) -> None:
    _require(isinstance(data, dict), "the file does not hold a JSON object")
    version = data.get("version")
    _require(_is_int(version, 1), f"version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise NewerFormatError(
            f"it was saved in progress format {version} by a newer mesatoys, and this one "
            f"reads format {FORMAT_VERSION}"
        )
    _require(version == FORMAT_VERSION, f"version must be {FORMAT_VERSION}, got {version!r}")


def _check_record(data: object) -> dict:
    """Check a decoded record's version and shape; raise naming the first fault."""
    _check_version(data)
    for key in ("created", "updated"):
        _require(isinstance(data.get(key), str), f"{key} is not a timestamp")
    sections = data.get("sections")
    _require(isinstance(sections, dict), "sections is not an object")
    for nb, done in sections.items():
        _require(isinstance(done, dict), f"sections of {nb!r} is not an object")
        _require(all(isinstance(t, str) for t in done.values()), f"sections of {nb!r}")
    answers = data.get("answers")
    _require(isinstance(answers, dict), "answers is not an object")
    for qid, rec in answers.items():
        _check_answer(qid, rec)
    exercises = data.setdefault("exercises", {})  # absent in files from before exercises
    _require(isinstance(exercises, dict), "exercises is not an object")
    for eid, rec in exercises.items():
        _require(isinstance(rec, dict), f"exercise {eid!r} is not a record")
        _require(isinstance(rec.get("notebook"), str), f"exercise {eid!r}: notebook")
        _require(isinstance(rec.get("passed_at"), str), f"exercise {eid!r}: passed_at")
    quizzes = data.get("quizzes")
    _require(isinstance(quizzes, dict), "quizzes is not an object")
    for name, rec in quizzes.items():
        fields = ("first_try", "answered", "total", "best_first_try")
        _require(isinstance(rec, dict), f"quiz {name!r} is not a record")
        _require(all(_is_int(rec.get(k)) for k in fields), f"quiz {name!r}")
    return data


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep(text: str) -> bool:
    """Whether JSON text nests arrays and objects deeper than :data:`MAX_DEPTH` (no recursion)."""
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def decode(raw: bytes) -> dict:
    """Decode the bytes of a progress file, within bounds, into a current-format record.

    Size and depth are checked before parsing, so a hostile or damaged file cannot
    exhaust memory or the stack.

    Args:
        raw: The file's bytes.

    Returns:
        The record.

    Raises:
        CorruptProgressError: If it is larger than :data:`MAX_FILE_BYTES`, nested deeper
            than :data:`MAX_DEPTH`, not UTF-8 JSON, or not a progress record.
        NewerFormatError: If it was written in a newer format than this one.
    """
    _require(len(raw) <= MAX_FILE_BYTES, f"it is larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorruptProgressError(f"it is not UTF-8 text ({err})") from err
    _require(not _too_deep(text), f"it is nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError, MemoryError) as err:  # the last two: a safety net
        raise CorruptProgressError(f"it is not valid JSON ({type(err).__name__}: {err})") from err
    return _check_record(data)


def _read_bounded(path: Path) -> bytes:
    """The bytes of the file at ``path``, refusing anything but a regular file of bounded size.

    Raises:
        FileNotFoundError: If there is no file.
        CorruptProgressError: If it is not a regular file or is too large.
    """
    info = os.stat(path)
    _require(stat.S_ISREG(info.st_mode), "it is not a regular file")
    _require(info.st_size <= MAX_FILE_BYTES, f"it is larger than {MAX_FILE_BYTES} bytes")
    with open(path, "rb") as file:
        return file.read(MAX_FILE_BYTES + 1)  # decode() refuses it if it grew meanwhile


# --- files: atomic writes, stale temporary files, backups ---------------------------------------


def _check_name(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _check_section(notebook: object, section: object) -> tuple[str, str]:
    if notebook not in OUTLINE:
        raise ValueError(f"notebook must be one of {tuple(OUTLINE)}, got {notebook!r}")
    if section not in OUTLINE[notebook]:
        raise ValueError(
            f"section must be one of {OUTLINE[notebook]} for {notebook}, got {section!r}"
        )
    return notebook, section


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    with suppress(OSError):  # make the rename itself durable where the system allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _remove_stale_temps(path: Path, locked: bool) -> None:
    """Remove temporary files that killed writers of ``path`` (and its backups) left behind.

    Writers make them only while holding the lock, so under the lock every one is a dead
    writer's. Without a lock, only those older than :data:`UNLOCKED_TEMP_AGE` are.
    """
    pattern = glob.escape(_temp_prefix(path)) + "*.tmp"
    oldest = time.time() - UNLOCKED_TEMP_AGE
    for tmp in path.parent.glob(pattern):
        with suppress(OSError):
            if locked or tmp.lstat().st_mtime < oldest:
                tmp.unlink()


def _free_name(path: Path, label: str) -> Path:
    """A new file name beside ``path`` for a kept copy: ``<name>.<label>-<time>``, never reused."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    candidate = path.with_name(f"{path.name}.{label}-{stamp}")
    number = 1
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{path.name}.{label}-{stamp}-{number}")
        number += 1
    return candidate


def _dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class ProgressStore:
    """One learner's progress, kept in a JSON file (see the module docstring).

    Every change is read-modify-write under a file lock, so several kernels can share the
    file. If the file cannot be written, or is in a newer format, the store keeps
    progress in memory for the rest of the session and says so once with a
    :class:`ProgressWarning`; :attr:`in_memory` and :attr:`problem` tell the same.

    Args:
        path: The progress file; defaults to :func:`default_path`. If it is a symbolic
            link, the file it points to is read and written, and the link kept.

    Raises:
        TypeError: If ``path`` is not a string or a path.
    """

    def __init__(self, path: str | os.PathLike | None = None):
        if path is not None and not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str, a path or None, got {path!r}")
        self.path = Path(path).expanduser() if path is not None else default_path()
        self.problem: str | None = None
        self._memory: dict | None = None

    @property
    def in_memory(self) -> bool:
        """Whether progress is kept in memory only (it could not be saved to the file)."""
        return self._memory is not None

    # --- reading and writing ------------------------------------------------------------------

    @contextmanager
    def _locked(self, target: Path) -> Iterator[None]:
        """Hold the lock of the file ``target`` (beside it, so every path to it shares one)."""
        if fcntl is None:
            yield
            return
        fd = os.open(target.with_name(target.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _target(self) -> Path:
        """The file progress really lives in: :attr:`path`, or where its symbolic links lead.

        Raises:
            OSError: If the links form a loop.
        """
        real = Path(os.path.realpath(self.path))
        if real.is_symlink():
            raise OSError(errno.ELOOP, "its symbolic links form a loop", str(self.path))
        return real

    def _read(self) -> dict:
        try:
            return decode(_read_bounded(self._target()))
        except FileNotFoundError:
            return empty_progress()

    def _read_or_set_aside(self, target: Path) -> dict:
        """Read under the lock; a damaged file is moved aside and a fresh record started."""
        try:
            return self._read()
        except CorruptProgressError as err:
            backup = _free_name(target, "corrupt")
            os.rename(target, backup)  # kept, never deleted
            self._warn(
                f"Your progress file {self.path} could not be read: {err}. It was kept as "
                f"{backup.name} in {backup.parent}, and a fresh progress file was started."
            )
            return empty_progress()

    def _warn(self, message: str) -> None:
        warnings.warn(message, ProgressWarning, stacklevel=4)

    def _fall_back(self, reason: str, start: dict | None) -> None:
        self._memory = start if start is not None else empty_progress()
        self.problem = reason
        self._warn(reason)

    def _readable_or_none(self) -> dict | None:
        try:
            return self._read()
        except (OSError, ValueError):
            return None

    def _save(self, change: Callable[[dict], None]) -> dict:
        """Under the lock: read the file afresh, apply ``change``, write it back atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        target = self._target()
        with self._locked(target):
            data = self._read_or_set_aside(target)
            change(data)
            data["updated"] = _now()
            _remove_stale_temps(target, locked=fcntl is not None)
            _atomic_write(target, _dumps(data))
        return data

    def _update(self, change: Callable[[dict], None]) -> dict:
        """Apply ``change`` to the latest saved progress and save it; returns the result."""
        if self._memory is None:
            try:
                return self._save(change)
            except NewerFormatError as err:
                self._fall_back(
                    f"Your progress file {self.path} was left untouched: {err}. Progress from "
                    "this session is kept in memory only; update mesatoys to keep saving it.",
                    None,
                )
            except OSError as err:
                self._fall_back(
                    f"Progress cannot be saved to {self.path} ({err.strerror or err}). It is "
                    "kept in memory for this session only and will be lost when the kernel "
                    f"stops. Set {ENV_VAR} to a folder you can write to, to save it.",
                    self._readable_or_none(),
                )
        change(self._memory)
        self._memory["updated"] = _now()
        return copy.deepcopy(self._memory)

    def data(self) -> dict:
        """A copy of the progress record as it stands now (current format)."""
        if self._memory is not None:
            return copy.deepcopy(self._memory)
        try:
            return self._read()
        except CorruptProgressError:
            return self._update(lambda data: None)  # sets the damaged file aside
        except NewerFormatError:
            return self._update(lambda data: None)  # warns, then keeps progress in memory
        except OSError as err:
            self._fall_back(f"Progress cannot be read from {self.path} ({err}).", None)
            return copy.deepcopy(self._memory)

    # --- recording ------------------------------------------------------------------------------

    def complete(self, notebook: str, section: str) -> None:
        """Mark a notebook section as completed (the first time is kept).

        Raises:
            ValueError: If the notebook or section is not in :data:`OUTLINE`.
        """
        notebook, section = _check_section(notebook, section)
        self._update(lambda d: d["sections"].setdefault(notebook, {}).setdefault(section, _now()))

    def record_answer(
        self,
        notebook: str,
        question_id: str,
        right: bool,
        chosen: tuple[int, ...],
        quiz_score: tuple[int, int, int] | None = None,
    ) -> None:
        """Record one checked answer to a practice question.

        Args:
            notebook: The bank the question belongs to (a notebook's name).
            question_id: The question's id.
            right: Whether the answer was right.
            chosen: The chosen option indices.
            quiz_score: For a quiz, its running score ``(first_try, answered, total)``,
                saved in the same write.

        Raises:
            ValueError: If an argument has the wrong type or form.
        """
        _check_name("notebook", notebook)
        _check_name("question_id", question_id)
        if not isinstance(right, bool):
            raise ValueError(f"right must be True or False, got {right!r}")
        answer = list(chosen) if isinstance(chosen, (tuple, list)) else None
        if answer is None or not all(_is_int(i) for i in answer):
            raise ValueError(f"chosen must be a tuple of option indices, got {chosen!r}")
        answer = [int(i) for i in answer]  # numpy integers are saved as plain ones
        score = _check_score(quiz_score)

        def change(data: dict) -> None:
            now = _now()
            rec = data["answers"].setdefault(
                question_id,
                {"attempts": 0, "right_first_time": right, "solved": False, "first_at": now},
            )
            rec.update(notebook=notebook, last_answer=answer, last_right=right, last_at=now)
            rec["attempts"] += 1
            rec["solved"] = rec["solved"] or right
            if score is not None:
                _save_quiz(data, notebook, score, now)

        self._update(change)

    def record_exercise(self, notebook: str, exercise_id: str) -> None:
        """Record that a coding exercise passed its check (the first time is kept).

        Raises:
            ValueError: If an argument is not a non-empty string.
        """
        _check_name("notebook", notebook)
        _check_name("exercise_id", exercise_id)
        record = {"notebook": notebook, "passed_at": _now()}
        self._update(lambda d: d.setdefault("exercises", {}).setdefault(exercise_id, record))

    def reset(self) -> Path | None:
        """Erase all progress, keeping a copy of the previous file beside it.

        Returns:
            The copy, ``progress.json.before-reset-<time>`` (a new one at every reset, so
            no earlier copy is overwritten), or None if no saved file was erased.
        """
        kept: list[Path] = []

        def change(data: dict) -> None:
            target = None if self.in_memory else self._target()
            if target is not None and target.exists():
                kept.append(_free_name(target, "before-reset"))
                _atomic_write(kept[-1], _dumps(data))
            data.clear()
            data.update(empty_progress())

        self._update(change)
        return kept[-1] if kept else None

    # --- reading out ----------------------------------------------------------------------------

    def export_json(self) -> str:
        """The whole progress record as pretty-printed JSON text."""
        return _dumps(self.data())

    def export_to(self, path: str | os.PathLike | None = None) -> Path:
        """Save a copy of the progress record as a JSON file and return its path.

        Args:
            path: Where to write; defaults to ``mesatoys-progress-<date-time>.json`` in
                the current folder (in JupyterLab, the notebook's folder, where the file
                browser can download it).

        Raises:
            TypeError: If ``path`` is not a string or a path.
        """
        if path is None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            path = Path.cwd() / f"mesatoys-progress-{stamp}.json"
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str, a path or None, got {path!r}")
        target = Path(path).expanduser().resolve()
        _atomic_write(target, self.export_json())
        return target

    def report(self) -> CourseProgress:
        """Completion per notebook and the practice quiz's score."""
        return course_progress(self.data())


def _check_score(score: object) -> tuple[int, int, int] | None:
    if score is None:
        return None
    ok = isinstance(score, tuple) and len(score) == 3 and all(_is_int(v) for v in score)
    if not ok or not score[0] <= score[1] <= score[2]:
        raise ValueError(
            f"quiz_score must be None or (first_try, answered, total) with "
            f"first_try <= answered <= total, got {score!r}"
        )
    first_try, answered, total = score
    return int(first_try), int(answered), int(total)  # numpy integers as plain ones


def _save_quiz(data: dict, name: str, score: tuple[int, int, int], now: str) -> None:
    first_try, answered, total = score
    best = max(first_try, data["quizzes"].get(name, {}).get("best_first_try", 0))
    data["quizzes"][name] = {
        "first_try": first_try,
        "answered": answered,
        "total": total,
        "best_first_try": best,
        "updated": now,
    }


# --- summaries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotebookProgress:
    """Where the learner stands in one notebook.

    Attributes:
        name: The notebook's file name without ``.ipynb``.
        title: A short title.
        sections_done: Sections of :data:`OUTLINE` marked completed.
        sections_total: Sections of :data:`OUTLINE` for this notebook.
        right_first_time: Practice questions answered right at the first try.
        answered: Practice questions answered at least once.
        questions: Practice questions in the notebook's bank.
        exercises_passed: Coding exercises that passed their check.
        exercises: Coding exercises in the notebook.
    """

    name: str
    title: str
    sections_done: int
    sections_total: int
    right_first_time: int
    answered: int
    questions: int
    exercises_passed: int = 0
    exercises: int = 0

    @property
    def reached_end(self) -> bool:
        """Whether the learner ran the notebook's last cell (every checkpoint marked)."""
        return self.sections_done == self.sections_total

    @property
    def finished(self) -> bool:
        """Whether the notebook is done: its exercises pass and its practice is answered.

        Running the last cell is not enough (Run All does that without a single answer).
        """
        return self.answered == self.questions and self.exercises_passed == self.exercises

    def left(self) -> str:
        """What is left to do, in words (``"done"`` when nothing is)."""
        todo = []
        exercises = self.exercises - self.exercises_passed
        if exercises:
            todo.append(f"pass {exercises} more {'exercise' if exercises == 1 else 'exercises'}")
        questions = self.questions - self.answered
        if questions:
            plural = "question" if questions == 1 else "questions"
            todo.append(f"answer {questions} more practice {plural}")
        return " and ".join(todo) if todo else "done"


@dataclass(frozen=True)
class CourseProgress:
    """The whole course: one :class:`NotebookProgress` per notebook, and the quiz score.

    Attributes:
        notebooks: In course order.
        quiz: The practice quiz's record (``first_try``, ``answered``, ``total``,
            ``best_first_try``, ``updated``), or None before its first answer.
        updated: When progress last changed.
    """

    notebooks: tuple[NotebookProgress, ...]
    quiz: dict | None
    updated: str

    def rows(self) -> list[tuple[str, ...]]:
        """One row of :data:`COLUMNS` per notebook, as display strings."""
        return [
            (
                n.title,
                "yes" if n.reached_end else "not yet",
                f"{n.exercises_passed} / {n.exercises} passed" if n.exercises else "none",
                f"{n.right_first_time} / {n.questions} right first time ({n.answered} answered)",
                n.left(),
            )
            for n in self.notebooks
        ]

    def next_step(self) -> str:
        """The first notebook not done yet and what it still needs, in one sentence."""
        for n in self.notebooks:
            if not n.finished:
                return f"Next: {n.title}: {n.left()}."
        return "Every notebook is done: every exercise passed, every practice question answered."

    def quiz_line(self) -> str:
        """The practice quiz's score in one sentence."""
        if self.quiz is None:
            return "Practice quiz (notebook 07): not started."
        q = self.quiz
        return (
            f"Practice quiz (notebook 07): {q['first_try']} / {q['total']} right at the first "
            f"try in your latest run ({q['answered']} answered); best {q['best_first_try']} / "
            f"{q['total']}."
        )


def course_progress(data: dict) -> CourseProgress:
    """Summarize a progress record (current format) notebook by notebook."""
    answers = data["answers"]
    passed = data.get("exercises", {})
    rows = []
    for name, sections in OUTLINE.items():
        ids = [q.id for q in load_bank(name)]
        exercise_ids = exercises_of(name)
        done = data["sections"].get(name, {})
        rows.append(
            NotebookProgress(
                name=name,
                title=TITLES[name],
                sections_done=sum(s in done for s in sections),
                sections_total=len(sections),
                right_first_time=sum(answers[i]["right_first_time"] for i in ids if i in answers),
                answered=sum(i in answers for i in ids),
                questions=len(ids),
                exercises_passed=sum(i in passed for i in exercise_ids),
                exercises=len(exercise_ids),
            )
        )
    return CourseProgress(tuple(rows), data["quizzes"].get(QUIZ), data["updated"])


# --- the default store and the notebook-facing calls ----------------------------------------


_STORES: dict[Path, ProgressStore] = {}


def default_store() -> ProgressStore:
    """The store at :func:`default_path` (one per path, per kernel)."""
    path = default_path()
    if path not in _STORES:
        _STORES[path] = ProgressStore(path)
    return _STORES[path]


def complete(notebook: str, section: str, store: ProgressStore | None = None) -> None:
    """Mark a notebook section as completed, and say so in one line.

    Args:
        notebook: The notebook's file name without ``.ipynb``.
        section: The section's heading, as listed in :data:`OUTLINE`.
        store: Defaults to :func:`default_store`.

    Raises:
        ValueError: If the notebook or section is not in :data:`OUTLINE`.
    """
    store = store or default_store()
    store.complete(notebook, section)
    where = "in memory only, this session" if store.in_memory else str(store.path)
    print(
        f"Progress saved ({where}): {TITLES[notebook]}, section {section!r}. "
        "See it in 00_start_here.ipynb."
    )


def record_exercise(notebook: str, exercise_id: str, store: ProgressStore | None = None) -> None:
    """Save that a coding exercise passed (called by its check).

    Args:
        notebook: The notebook's file name without ``.ipynb``.
        exercise_id: The exercise's id.
        store: Defaults to :func:`default_store`.
    """
    (store or default_store()).record_exercise(notebook, exercise_id)


class _Scored(Protocol):
    def score(self) -> Any: ...


class Recorder:
    """A practice question's ``on_result`` hook that saves every checked answer.

    Args:
        notebook: The bank (notebook) the questions come from.
        store: A store, or None for :func:`default_store` at the time of each answer.

    Attributes:
        quiz: A quiz whose running score is saved with each answer (set by
            :meth:`mesatoys.course.practice.PracticeQuiz.from_bank`), or None.
    """

    def __init__(self, notebook: str, store: ProgressStore | None = None):
        self.notebook = _check_name("notebook", notebook)
        self.store = store
        self.quiz: _Scored | None = None

    def __call__(self, question_id: str, right: bool, chosen: tuple[int, ...]) -> None:
        """Save one checked answer (and the quiz's running score, if any)."""
        score = None
        if self.quiz is not None:
            s = self.quiz.score()
            score = (s.first_try, s.answered, s.total)
        store = self.store or default_store()
        store.record_answer(self.notebook, question_id, right, chosen, score)


def recorder(notebook: str, store: ProgressStore | None = None) -> Recorder:
    """A hook for ``on_result`` that saves answers to ``notebook``'s questions."""
    return Recorder(notebook, store)


def export_json() -> str:
    """The learner's progress as JSON text (to copy or keep)."""
    return default_store().export_json()


def _erased_message(kept: Path | None) -> str:
    if kept is None:
        return "Your progress was erased (no saved file needed a copy)."
    return f"Your progress was erased; the previous file is kept as {kept}."


def reset(confirm: bool = False) -> bool:
    """Erase the learner's progress, only if ``confirm`` is True; returns whether it did.

    Each reset keeps the previous file as its own ``progress.json.before-reset-<time>``.
    """
    if confirm is not True:
        print("Nothing was erased. To erase all your progress, call progress.reset(confirm=True).")
        return False
    print(_erased_message(default_store().reset()))
    return True


# --- the widget ---------------------------------------------------------------------------------

_CONFIRM = (
    "Erase all your progress: completed sections, practice answers and quiz scores? "
    "A copy of the current file is kept beside it as progress.json.before-reset-<time>."
)


class ProgressView(ShowsWidget):
    """The learner's progress, notebook by notebook, with export and a two-step reset.

    The widget shows a table (notebook, read to the end, practice questions right at
    the first try, what is left to do), the next step, the practice quiz's score and where
    progress is saved. Its buttons:
    **Refresh**; **Export**, which writes a JSON copy to the current folder and shows
    its path; and **Reset progress…**, which asks first: only **Yes, erase my progress**
    erases, **Cancel** backs out. All are standard buttons, reached with Tab and pressed
    with Enter or Space. Without widgets, :meth:`text_summary` prints the same.

    Args:
        store: Defaults to :func:`default_store`.
    """

    def __init__(self, store: ProgressStore | None = None):
        if store is not None and not isinstance(store, ProgressStore):
            raise TypeError(f"store must be a ProgressStore or None, got {store!r}")
        self.store = store or default_store()

    def _where(self) -> str:
        if self.store.in_memory:
            return f"Not saved: {self.store.problem}"
        return f"Saved in {self.store.path} (set {ENV_VAR} to choose another folder)."

    def text_summary(self) -> str:
        """Progress as plain text: a table, the quiz score, where it is saved, what to call."""
        report = self.store.report()
        head = COLUMNS
        rows = [head, *report.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = ["Your progress", ""]
        lines += [
            "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        lines += [
            "",
            report.next_step(),
            report.quiz_line(),
            f"Last updated: {report.updated}.",
            self._where(),
            "Without widgets: progress.export_json() gives it all as JSON; "
            "progress.reset(confirm=True) erases it.",
        ]
        return "\n".join(lines)

    def _table_html(self) -> str:
        report = self.store.report()
        head = "".join(
            f"<th style='text-align:left;padding:2px 12px 2px 0'>{h}</th>" for h in COLUMNS
        )
        body = "".join(
            "<tr>"
            + "".join(f"<td style='padding:2px 12px 2px 0'>{html.escape(c)}</td>" for c in r)
            + "</tr>"
            for r in report.rows()
        )
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"<p><b>{html.escape(report.next_step())}</b><br>"
            f"<b>{html.escape(report.quiz_line())}</b><br>"
            f"<small>Last updated: {html.escape(report.updated)}. "
            f"{html.escape(self._where())}</small></p>"
        )

    def _build_widget(self):
        import ipywidgets as w

        self._table = w.HTML(self._table_html())
        self._status = w.HTML("")
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.export_button = w.Button(description="Export", icon="download")
        self.reset_button = w.Button(description="Reset progress…", icon="trash")
        self.confirm_button = w.Button(
            description="Yes, erase my progress",
            button_style="danger",
            layout=w.Layout(width="auto"),  # the whole label, not "Yes, erase my pr…"
        )
        self.cancel_button = w.Button(description="Cancel")
        self._confirm = w.VBox(
            [
                w.HTML(f"<b>{html.escape(_CONFIRM)}</b>"),
                w.HBox([self.confirm_button, self.cancel_button]),
            ],
            layout=w.Layout(display="none"),
        )
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.export_button.on_click(lambda _b: self._export())
        self.reset_button.on_click(lambda _b: self._ask())
        self.cancel_button.on_click(lambda _b: self._cancel())
        self.confirm_button.on_click(lambda _b: self._erase())
        buttons = w.HBox([self.refresh_button, self.export_button, self.reset_button])
        title = w.HTML("<h3>Your progress</h3>")
        return w.VBox([title, self._table, buttons, self._confirm, self._status])

    @property
    def controls(self) -> list:
        """The buttons in tab order: Refresh, Export, Reset progress…, Yes (erase), Cancel."""
        self.widget  # noqa: B018 - builds the buttons
        return [
            self.refresh_button,
            self.export_button,
            self.reset_button,
            self.confirm_button,
            self.cancel_button,
        ]

    @property
    def confirming(self) -> bool:
        """Whether the reset confirmation is showing."""
        return self.widget.children[3].layout.display != "none"

    @property
    def status(self) -> str:
        """The last message the widget showed (HTML), e.g. the export's path."""
        self.widget  # noqa: B018 - builds the status line
        return self._status.value

    def refresh(self) -> None:
        """Re-read the progress file and redraw the table."""
        if self._built_widget() is not None:
            self._table.value = self._table_html()

    def _say(self, text: str) -> None:
        self._status.value = f'<div role="status" aria-live="polite">{html.escape(text)}</div>'

    def _export(self) -> None:
        try:
            path = self.store.export_to()
        except OSError as err:
            self._say(f"Could not write the export ({err}). Use progress.export_json() instead.")
            return
        self._say(f"Exported to {path}. Download it from the file browser.")

    def _ask(self) -> None:
        self._confirm.layout.display = "flex"
        self._say("Confirm below, or cancel.")

    def _cancel(self) -> None:
        self._confirm.layout.display = "none"
        self._say("Nothing was erased.")

    def _erase(self) -> None:
        kept = self.store.reset()
        self._confirm.layout.display = "none"
        self.refresh()
        self._say(_erased_message(kept))


__all__ = [
    "ENV_VAR",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "OUTLINE",
    "CorruptProgressError",
    "CourseProgress",
    "NewerFormatError",
    "NotebookProgress",
    "ProgressStore",
    "ProgressView",
    "ProgressWarning",
    "Recorder",
    "complete",
    "course_progress",
    "default_path",
    "decode",
    "default_store",
    "export_json",
    "progress_dir",
    "recorder",
    "reset",
]

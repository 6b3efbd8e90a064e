"""A class exchange in which each student's submissions and feedback have a folder of their own.

nbgrader's default exchange keeps every submission of a course in one folder, ``inbound/``,
and every feedback page in another. Whoever may write a submission there may also list, read,
replace or delete the others' and submit under another name: on one machine with a Unix user
per student only unguessable file names stand in the way, and where every server runs as the
same user (every Zero to JupyterHub pod runs as uid 1000) nothing does.

These classes are nbgrader's own (release, fetch, submit, list, collect, feedback; the
*Assignments* tab and the formgrader use them unchanged) with one change, where files go::

    <root>/<course>/outbound/<assignment>/           released assignments; every student reads
    <root>/<course>/inbound/<student>/<student>+<assignment>+<timestamp>+<random>/
    <root>/<course>/feedback/<student>/<secret hash>.html

so that each student's folders can be given to that student alone:

- **one machine, a Unix user per student**: both folders belong to the student and to the
  instructors' group, ``inbound/<student>`` mode 0750 (the student writes, instructors read)
  and ``feedback/<student>`` mode 0770 (instructors write, the student reads); nobody else may
  list or enter them. A student's first submission creates them: ``inbound/`` and
  ``feedback/`` are setgid (a new folder gets the instructors' group), sticky (nobody removes
  another's folder) and not listable. :func:`prepare_exchange` (``make course-exchange``)
  lays this out, and, run as root with a roster, creates every student's folders in advance,
  so that nobody can take another's name first.
- **Kubernetes, every pod uid 1000**: a student's pod mounts ``outbound/`` read-only and only
  its own ``inbound/<student>`` and ``feedback/<student>`` (``deploy/z2jh/config.yaml``); no
  other student's folder exists in the pod.

Collecting checks every submission before copying it, and refuses (saying why, then going on
with the rest of the class) one that is not in the folder of the student it names, that holds
anything but regular files and folders (a symbolic link would make the instructor copy
whatever it points to, the answer key included), or, where each student is a Unix user
(``ExchangeCollect.check_owner``, nbgrader's option, on by default), whose folder does not
belong to that student. Copies never follow links (:func:`copy_tree`, :func:`write_file`).

Select the classes in every nbgrader config, the instructor's and the students'
(:data:`EXCHANGE_CLASSES`; ``deploy/nbgrader_config.py`` and ``assignments/nbgrader_config.py``
do). ``python -m mesatoys.grading.exchange --help`` prepares an exchange.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import grp
import hashlib
import os
import pwd
import re
import secrets
import shutil
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import ExchangeError
from nbgrader.exchange.default import (
    Exchange,
    ExchangeCollect,
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import get_username, notebook_hash, parse_utc

__all__ = [
    "EXCHANGE_CLASSES",
    "PersonalCollect",
    "PersonalExchange",
    "PersonalFetchAssignment",
    "PersonalFetchFeedback",
    "PersonalList",
    "PersonalReleaseAssignment",
    "PersonalReleaseFeedback",
    "PersonalSubmit",
    "UnsafeSubmissionError",
    "check_student_id",
    "copy_tree",
    "page_name",
    "prepare_exchange",
    "write_file",
]

# --- the layout -------------------------------------------------------------------------------

OUTBOUND, INBOUND, FEEDBACK = "outbound", "inbound", "feedback"
OPEN_DIR = 0o755  # the root, the course, outbound/: everyone reads, the instructor writes
# inbound/ and feedback/: setgid (a student's folder gets the instructors' group), sticky
# (nobody removes another's folder); others may add their own folder but not list them.
INBOUND_DIR = FEEDBACK_DIR = 0o3733
STUDENT_INBOUND_DIR = 0o750  # the student writes, the instructors' group reads, nobody else
STUDENT_FEEDBACK_DIR = 0o770  # the student reads, the instructors' group writes, nobody else
# feedback/<student> made by the instructor for a student who has none: nobody may list it,
# and a page's name is a hash of a secret only the student's submission holds.
FALLBACK_FEEDBACK_DIR = 0o711
SUBMISSION_DIR = 0o755  # inside the student's folder: readable by whoever may enter it
PAGE_MODE = 0o644
# A student id names folders: letters, digits and ``_ . @ -``, no leading dot, no ``+``
# (nbgrader separates the parts of a submission's name with it).
_STUDENT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,127}")
# Bounds on what one submission may hold, whatever nbgrader's size options say.
MAX_ENTRIES = 10_000
MAX_DEPTH = 32

EXCHANGE_CLASSES = {
    "exchange": "mesatoys.grading.exchange.PersonalExchange",
    "fetch_assignment": "mesatoys.grading.exchange.PersonalFetchAssignment",
    "fetch_feedback": "mesatoys.grading.exchange.PersonalFetchFeedback",
    "release_assignment": "mesatoys.grading.exchange.PersonalReleaseAssignment",
    "release_feedback": "mesatoys.grading.exchange.PersonalReleaseFeedback",
    "list": "mesatoys.grading.exchange.PersonalList",
    "submit": "mesatoys.grading.exchange.PersonalSubmit",
    "collect": "mesatoys.grading.exchange.PersonalCollect",
}
"""``ExchangeFactory`` setting -> class, for ``c.ExchangeFactory.<setting> = <class>``."""


def check_student_id(student_id: str) -> str:
    """Return ``student_id`` if it can name a student's exchange folder.

    Args:
        student_id: nbgrader's student id (the Unix user name, or the hub user name).

    Returns:
        The same id.

    Raises:
        ValueError: If it is empty, longer than 128 characters, starts with a dot or holds
            anything but letters, digits and ``_ . @ -``.
    """
    if not isinstance(student_id, str) or not _STUDENT_ID.fullmatch(student_id):
        raise ValueError(
            f"student_id must be 1-128 letters, digits or '_.@-' not starting with '.', "
            f"got {student_id!r}"
        )
    return student_id


def _is_student_id(name: str) -> bool:
    return bool(_STUDENT_ID.fullmatch(name))


# --- copying without following links ----------------------------------------------------------


class UnsafeSubmissionError(ExchangeError):
    """A submission holds something the exchange does not copy (a link, a device, too much)."""


@dataclass
class _Budget:
    """What one copy may still take, and what it skipped."""

    ignore: tuple[str, ...] = ()
    include: tuple[str, ...] = ("*",)
    max_file_bytes: int | None = None
    max_total_bytes: int | None = None
    total: int = 0
    entries: int = 0
    skipped: list[str] = field(default_factory=list)


def copy_tree(
    src: Path,
    dest: Path | None,
    *,
    ignore: Iterable[str] = (),
    include: Iterable[str] = ("*",),
    max_file_kb: int | None = None,
    max_total_kb: int | None = None,
    trusted: Path | None = None,
) -> list[str]:
    """Copy the folder ``src`` to ``dest`` (which must not exist), following no link.

    Every folder and file is opened relative to its parent's descriptor with ``O_NOFOLLOW``,
    so a link swapped in while the copy runs is refused, not followed.

    Args:
        src: The folder to copy (itself not a link).
        dest: Where to copy it; None only checks ``src``.
        trusted: A folder above ``src`` that nobody else can change (``inbound/``): the
            folders between it and ``src`` are opened without following links too.
        ignore: Name globs left out, as nbgrader's ``CourseDirectory.ignore``.
        include: Name globs of files kept (``CourseDirectory.include``).
        max_file_kb: Files larger than this many kilobytes are left out.
        max_total_kb: More than this many kilobytes in all is refused.

    Returns:
        The relative paths left out (ignored, not included or too large).

    Raises:
        UnsafeSubmissionError: If ``src`` or anything in it is a link or neither a regular file
            nor a folder, or it is too large, too deep or has too many entries.
    """
    budget = _Budget(
        tuple(ignore),
        tuple(include),
        None if max_file_kb is None else 1000 * max_file_kb,
        None if max_total_kb is None else 1000 * max_total_kb,
    )
    fd = _open_below(Path(src), trusted)
    try:
        _copy_dir(fd, dest, Path("."), budget, depth=0)
    finally:
        os.close(fd)
    return budget.skipped


def _open_dir(name: str, dir_fd: int | None, shown: Path) -> int:
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        return os.open(name, flags, dir_fd=dir_fd)
    except OSError as error:
        raise UnsafeSubmissionError(
            f"{shown} is not a folder that can be opened: {error}"
        ) from None


def _open_below(src: Path, trusted: Path | None) -> int:
    """A descriptor of ``src``, each folder below ``trusted`` opened without following links."""
    if trusted is None:
        return _open_dir(str(src), None, Path(src.name))
    fd = os.open(trusted, os.O_RDONLY | os.O_DIRECTORY)
    shown = Path(trusted.name)
    try:
        for part in src.relative_to(trusted).parts:
            shown = shown / part
            child = _open_dir(part, fd, shown)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device or special file"


def _copy_dir(fd: int, dest: Path | None, rel: Path, budget: _Budget, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise UnsafeSubmissionError(f"{rel} is nested more than {MAX_DEPTH} folders deep")
    if dest is not None:
        dest.mkdir(mode=0o755)
    for name in sorted(os.listdir(fd)):
        budget.entries += 1
        if budget.entries > MAX_ENTRIES:
            raise UnsafeSubmissionError(f"more than {MAX_ENTRIES} files and folders")
        if any(fnmatch.fnmatch(name, pattern) for pattern in budget.ignore):
            budget.skipped.append(str(rel / name))
            continue
        mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        target = None if dest is None else dest / name
        if stat.S_ISDIR(mode):
            child = _open_dir(name, fd, rel / name)
            try:
                _copy_dir(child, target, rel / name, budget, depth + 1)
            finally:
                os.close(child)
        elif stat.S_ISREG(mode):
            _copy_file(fd, name, target, rel / name, budget)
        else:
            raise UnsafeSubmissionError(f"{rel / name} is a {_kind(mode)}; only files and folders")


def _copy_file(dir_fd: int, name: str, dest: Path | None, rel: Path, budget: _Budget) -> None:
    if not any(fnmatch.fnmatch(name, pattern) for pattern in budget.include):
        budget.skipped.append(str(rel))
        return
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as error:
        raise UnsafeSubmissionError(f"{rel} cannot be opened as a file: {error}") from None
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeSubmissionError(f"{rel} is a {_kind(info.st_mode)}; only files and folders")
        if budget.max_file_bytes is not None and info.st_size > budget.max_file_bytes:
            budget.skipped.append(str(rel))
            return
        budget.total += info.st_size
        if budget.max_total_bytes is not None and budget.total > budget.max_total_bytes:
            raise UnsafeSubmissionError(f"more than {budget.max_total_bytes // 1000} kB in all")
        if dest is not None:
            with dest.open("xb") as copy:
                shutil.copyfileobj(source, copy)


def write_file(folder: Path, name: str, data: bytes, mode: int = PAGE_MODE) -> Path:
    """Write ``folder/name`` atomically, following no link.

    The folder is opened with ``O_NOFOLLOW``, the data goes to a new temporary file in it
    (``O_EXCL``), which then replaces ``name``: a link planted at either name is replaced,
    never written through.

    Args:
        folder: An existing folder (not a link).
        name: The file's name (no ``/``).
        data: Its content.
        mode: Its permission bits.

    Returns:
        The file's path.

    Raises:
        ValueError: If ``name`` is empty, ``.``, ``..`` or holds a ``/``.
        OSError: If ``folder`` is a link or cannot be written.
    """
    if name in ("", ".", "..") or "/" in name:
        raise ValueError(f"name must be a plain file name, got {name!r}")
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        temporary = f".{name}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(temporary, flags, mode, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
        os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    return folder / name


# --- the exchange classes ---------------------------------------------------------------------


class PersonalExchange(Exchange):
    """nbgrader's exchange, with a folder per student in ``inbound/`` and ``feedback/``.

    The exchange root need not be writable by students (nbgrader's own requires it to be
    world-writable): it only has to exist and be searchable.
    """

    def ensure_root(self) -> None:
        """Fail unless the exchange root is a folder this user may enter."""
        if not os.path.isdir(self.root) or not os.access(self.root, os.X_OK):
            self.fail(f"The exchange {self.root} is missing or closed to you; ask your instructor")

    def require_course(self) -> str:
        """The course id; fail if there is none."""
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def course_dir(self) -> Path:
        """``<root>/<course>``."""
        return Path(self.root) / self.require_course()

    def course_folder(self, kind: str) -> Path:
        """``<root>/<course>/<kind>`` (``outbound``, ``inbound`` or ``feedback``)."""
        return self.course_dir() / kind

    def student_folder(self, kind: str, student_id: str) -> Path:
        """``<root>/<course>/<kind>/<student>``: one student's submissions or feedback."""
        try:
            return self.course_folder(kind) / check_student_id(student_id)
        except ValueError as error:
            self.fail(str(error))

    def own_student_id(self) -> str:
        """This user's student id, as nbgrader's submit takes it, checked."""
        student_id = self.coursedir.student_id
        if student_id in ("", "*"):
            student_id = get_username()
        try:
            return check_student_id(student_id)
        except ValueError as error:
            self.fail(str(error))


class PersonalFetchAssignment(PersonalExchange, ExchangeFetchAssignment):
    """Fetch a released assignment from ``outbound/`` (as nbgrader does)."""


class PersonalReleaseAssignment(PersonalExchange, ExchangeReleaseAssignment):
    """Release to ``outbound/``; lay out the course's folders with the modes above.

    Unlike nbgrader's release, it never makes the exchange root world-writable, and it leaves
    the modes of folders that already exist (``prepare_exchange`` set them) as they are.
    """

    def ensure_root(self) -> None:
        """Create the exchange root (mode 0755) if it is missing."""
        if os.path.isdir(self.root):
            return
        try:
            os.makedirs(self.root)
            os.chmod(self.root, OPEN_DIR)
        except PermissionError:
            self.fail(f"Could not create the exchange {self.root}: permission denied")

    def init_dest(self) -> None:
        """Create the course's folders (the first time) before nbgrader's own checks."""
        self.ensure_directory(str(self.course_dir()), OPEN_DIR)
        self.ensure_directory(str(self.course_folder(OUTBOUND)), OPEN_DIR)
        self.ensure_directory(str(self.course_folder(INBOUND)), INBOUND_DIR)
        self.ensure_directory(str(self.course_folder(FEEDBACK)), FEEDBACK_DIR)
        super().init_dest()


class PersonalSubmit(PersonalExchange, ExchangeSubmit):
    """Submit into ``inbound/<student>/``, the student's own folder (created if missing)."""

    def init_dest(self) -> None:
        """Check the course and the student's folder; name the submission as nbgrader does."""
        course_id = self.require_course()
        student_id = self.own_student_id()
        if not self.authenticator.has_access(student_id, course_id):
            self.fail("You do not have access to this course.")
        self.inbound_path = str(self.own_folder(INBOUND, student_id))
        self.own_folder(FEEDBACK, student_id)
        self.cache_path = os.path.join(self.cache, course_id)
        parts = [student_id, self.coursedir.assignment_id, self.timestamp]
        if self.add_random_string:
            parts.append(secrets.token_urlsafe(9))
        self.assignment_filename = "+".join(parts)

    def own_folder(self, kind: str, student_id: str) -> Path | None:
        """``inbound/<student>`` or ``feedback/<student>``, created if missing; it must be ours.

        A feedback folder that cannot be created is no reason not to submit: the instructor
        then makes one when releasing feedback (mode 0711).
        """
        folder = self.student_folder(kind, student_id)
        mode = STUDENT_INBOUND_DIR if kind == INBOUND else STUDENT_FEEDBACK_DIR
        try:
            folder.mkdir()
            folder.chmod(mode)  # whatever the umask
        except FileExistsError:
            pass
        except OSError as error:
            if kind == FEEDBACK:
                self.log.warning("No feedback folder of your own yet (%s): %s", folder, error)
                return None
            self.fail(
                f"Your submission folder {folder} is missing and cannot be created ({error}); "
                "ask your instructor"
            )
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode):
            self.fail(f"{folder} is not a folder; ask your instructor to remove it")
        if info.st_uid != os.geteuid():
            self.fail(
                f"{folder} belongs to {_user_name(info.st_uid)}, not to you; ask your instructor"
            )
        if kind == INBOUND and not os.access(folder, os.W_OK | os.X_OK):
            self.fail(f"You may not write to your submission folder {folder}")
        return folder

    def copy_files(self) -> None:
        """Copy as nbgrader does, then close the submission to everyone outside the folder."""
        super().copy_files()
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), SUBMISSION_DIR)


@dataclass
class _Record:
    """One submission in a student's folder."""

    student_id: str
    name: str
    timestamp: object

    def as_nbgrader(self) -> dict:
        """The record nbgrader's collect copies (its ``filename`` relative to ``inbound/``)."""
        return {
            "username": self.student_id,
            "filename": f"{self.student_id}/{self.name}",
            "timestamp": self.timestamp,
        }


class PersonalCollect(PersonalExchange, ExchangeCollect):
    """Collect each student's latest submission from their own folder, or refuse it.

    Refused (logged as an error, with the reason; the rest of the class is collected):
    anything in ``inbound/`` that is not a student's folder; a submission that names another
    student than its folder; one that holds a link, a pipe or a device, or is too large;
    and, with ``check_owner`` (a Unix user per student), a folder that does not belong to
    the Unix user of that name. ``refused`` lists ``(path, reason)`` afterwards.
    """

    def init_src(self) -> None:
        """Find every student's valid submissions of the assignment; keep the latest."""
        self.refused: list[tuple[str, str]] = []
        self.course_path = str(self.course_dir())
        inbound = self.course_folder(INBOUND)
        self.inbound_path = str(inbound)
        if not os.access(inbound, os.R_OK | os.X_OK) or not inbound.is_dir():
            self.fail(f"You may not read the submissions folder: {inbound}")
        wanted = self.coursedir.student_id or "*"
        records = []
        for folder in sorted(inbound.iterdir()):
            if wanted == "*" or folder.name == wanted:
                records.extend(self.submissions_in(folder))
        self.duedate = self._duedate()
        self.src_records = [r.as_nbgrader() for r in self._latest_per_student(records)]

    def refuse(self, path: Path, reason: str) -> None:
        """Log and remember a refused submission or folder."""
        self.log.error("Refused %s: %s", path, reason)
        self.refused.append((str(path), reason))

    def submissions_in(self, folder: Path) -> list[_Record]:
        """The acceptable submissions of the assignment in one student's folder."""
        info = folder.lstat()
        problem = self.folder_problem(folder, info)
        if problem:
            self.refuse(folder, problem)
            return []
        records = []
        for entry in sorted(folder.iterdir()):
            record = self.record_of(folder.name, entry)
            if record is not None:
                records.append(record)
        return records

    def folder_problem(self, folder: Path, info: os.stat_result) -> str | None:
        """Why ``folder`` is not a student's own submission folder, or None."""
        if not stat.S_ISDIR(info.st_mode):
            return f"not a student's folder but a {_kind_of(info.st_mode)}"
        if not _is_student_id(folder.name):
            return "not named by a student id"
        if not self.check_owner:
            return None
        try:
            uid = pwd.getpwnam(folder.name).pw_uid
        except KeyError:
            return (
                f"no Unix user is named {folder.name!r} here, so nothing shows the folder is "
                "theirs (where every server runs as one user, as on Kubernetes, the mounts "
                "keep students apart: set ExchangeCollect.check_owner = False)"
            )
        if info.st_uid != uid:
            return f"it belongs to {_user_name(info.st_uid)}, not to {folder.name}"
        return None

    def record_of(self, student_id: str, entry: Path) -> _Record | None:
        """The submission ``entry`` in ``student_id``'s folder, or None (refused or other)."""
        parts = entry.name.split("+")
        if len(parts) not in (3, 4) or parts[1] != self.coursedir.assignment_id:
            return None  # another assignment's submission, or not a submission at all
        if parts[0] != student_id:
            self.refuse(entry, f"it claims to be {parts[0]}'s but is in {student_id}'s folder")
            return None
        try:
            timestamp = parse_utc(parts[2])
        except (ValueError, OverflowError):
            self.refuse(entry, f"its timestamp {parts[2]!r} is not a time")
            return None
        problem = self.content_problem(student_id, entry)
        if problem:
            self.refuse(entry, problem)
            return None
        return _Record(student_id, entry.name, timestamp)

    def content_problem(self, student_id: str, entry: Path) -> str | None:
        """Why the submission folder ``entry`` cannot be collected, or None."""
        info = entry.lstat()
        if not stat.S_ISDIR(info.st_mode):
            return f"a submission is a folder, this is a {_kind_of(info.st_mode)}"
        if self.check_owner and info.st_uid != pwd.getpwnam(student_id).pw_uid:
            return f"it belongs to {_user_name(info.st_uid)}, not to {student_id}"
        try:
            copy_tree(entry, None, **self._copy_limits())
        except UnsafeSubmissionError as error:
            return str(error)
        return None

    def _copy_limits(self) -> dict:
        return {
            "ignore": self.coursedir.ignore,
            "include": self.coursedir.include,
            "max_file_kb": self.coursedir.max_file_size,
            "max_total_kb": self.coursedir.max_dir_size,
            "trusted": Path(self.inbound_path),
        }

    def _duedate(self) -> object:
        if not self.before_duedate:
            return None  # only before_duedate looks at it: no gradebook to open
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def _latest_per_student(self, records: list[_Record]) -> list[_Record]:
        """As nbgrader chooses: the latest, or with ``before_duedate`` the latest in time."""
        chosen = []
        for student_id in sorted({r.student_id for r in records}):
            mine = sorted(
                (r for r in records if r.student_id == student_id),
                key=lambda r: r.timestamp,
                reverse=True,
            )
            if self.before_duedate and self.duedate is not None:
                on_time = [r for r in mine if r.timestamp <= self.duedate]
                mine = on_time or mine
            chosen.append(mine[0])
        return chosen

    def do_copy(self, src: str, dest: str, log: object = None) -> None:
        """Copy one submission without following links; refuse it if that fails."""
        try:
            skipped = copy_tree(Path(src), Path(dest), **self._copy_limits())
        except UnsafeSubmissionError as error:
            shutil.rmtree(dest, ignore_errors=True)
            self.refuse(Path(src), str(error))
            return
        for name in skipped:
            self.log.warning("Left out of %s: %s (CourseDirectory ignore/include/size)", src, name)


def _uid_of(name: str) -> int | None:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _kind_of(mode: int) -> str:
    return "folder" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else _kind(mode)


class PersonalReleaseFeedback(PersonalExchange, ExchangeReleaseFeedback):
    """Release each student's feedback pages into ``feedback/<student>/`` only.

    A page is named, as in nbgrader, by a hash of the submission's secret and the notebook's
    name; it is written, following no link, into a folder that must be the student's or
    this user's.
    """

    def init_dest(self) -> None:
        """Check the course and the ``feedback/`` folder (created, mode 3733, if missing)."""
        self.course_path = str(self.course_dir())
        self.outbound_feedback_path = self.dest_path = str(self.course_folder(FEEDBACK))
        self.ensure_directory(self.dest_path, FEEDBACK_DIR)

    def copy_files(self) -> None:
        """Copy every generated page of the assignment to its student's folder."""
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        for student_id, notebook_id, page in self.feedback_pages():
            if student_id in excluded:
                continue
            folder = self.feedback_folder(student_id)
            if folder is None:
                continue
            secret = (page.parent / "submission_secret.txt").read_text()
            name = page_name(secret, notebook_id)
            write_file(folder, name, page.read_bytes())
            self.log.info(
                "Released feedback for %s on %s/%s", student_id, self.coursedir.assignment_id, name
            )

    def feedback_pages(self) -> Iterator[tuple[str, str, Path]]:
        """``(student, notebook, page)`` for each page ``generate_feedback`` wrote."""
        student = self.coursedir.student_id or "*"
        assignment = self.coursedir.assignment_id
        pattern = self.coursedir.format_path(self.coursedir.feedback_directory, student, assignment)
        for page in sorted(glob.glob(os.path.join(pattern, "*.html"))):
            path = Path(page)
            student_id = path.parent.parent.name
            if path.parent.name != assignment or not _is_student_id(student_id):
                self.log.error("Not a feedback page of a student: %s", page)
                continue
            yield student_id, path.stem, path

    def feedback_folder(self, student_id: str) -> Path | None:
        """``feedback/<student>`` if pages may be written there, else None (and say why).

        The student's own folder (made when they submitted), or one this user makes now
        (mode 0711); it must be a real folder, belong to the student or to this user, and be
        writable.
        """
        folder = self.student_folder(FEEDBACK, student_id)
        try:
            folder.mkdir()
            folder.chmod(FALLBACK_FEEDBACK_DIR)
            self.log.warning("%s had no feedback folder; made %s (mode 0711)", student_id, folder)
        except FileExistsError:
            pass
        info = folder.lstat()
        problem = None
        if not stat.S_ISDIR(info.st_mode):
            problem = f"it is a {_kind_of(info.st_mode)}"
        elif info.st_uid not in (os.geteuid(), _uid_of(student_id)):
            problem = f"it belongs to {_user_name(info.st_uid)}"
        elif not os.access(folder, os.W_OK | os.X_OK):
            problem = "you may not write to it"
        if problem:
            self.log.error("Not releasing feedback to %s in %s: %s", student_id, folder, problem)
            return None
        return folder


class PersonalFetchFeedback(PersonalExchange, ExchangeFetchFeedback):
    """Fetch this student's feedback from ``feedback/<student>/``."""

    def init_src(self) -> None:
        """Find the pages of every cached submission of the assignment in the own folder."""
        course_id = self.require_course()
        self.course_path = str(self.course_dir())
        self.outbound_path = self.src_path = str(
            self.student_folder(FEEDBACK, self.own_student_id())
        )
        self.cache_path = os.path.join(self.cache, course_id)
        if not os.path.isdir(self.src_path):
            self.fail(f"No feedback has been released to you yet ({self.src_path} is missing)")
        assignment_id = self.coursedir.assignment_id or "*"
        self.feedback_files = []
        for submission in sorted(glob.glob(os.path.join(self.cache_path, f"*+{assignment_id}+*"))):
            self.feedback_files.extend(self.pages_for(Path(submission)))

    def pages_for(self, submission: Path) -> list[tuple[str, str, str]]:
        """``(notebook, timestamp, page)`` of each released page of one cached submission."""
        secret_file = submission / "submission_secret.txt"
        if not secret_file.is_file():
            self.log.warning("No secret in %s: it cannot have feedback", submission)
            return []
        secret = secret_file.read_text()
        timestamp = submission.name.split("+")[2]
        found = []
        for notebook in sorted(submission.glob("*.ipynb")):
            page = Path(self.src_path) / page_name(secret, notebook.stem)
            if page.is_file():
                found.append((notebook.stem, timestamp, str(page)))
                self.log.info("Found feedback for %s submitted at %s", notebook.stem, timestamp)
            else:
                self.log.warning("No feedback yet for %s submitted at %s", notebook.stem, timestamp)
        return found


class PersonalList(PersonalExchange, ExchangeList):
    """List released assignments, and submissions with their feedback, in this layout."""

    def init_dest(self) -> None:
        """With ``inbound``, the submissions in students' folders; otherwise as nbgrader."""
        if not self.inbound:
            super().init_dest()
            return
        course = self.coursedir.course_id or "*"
        student = self.coursedir.student_id or "*"
        assignment = self.coursedir.assignment_id or "*"
        pattern = os.path.join(self.root, course, INBOUND, student, f"{student}+{assignment}+*")
        self.assignments = [
            path
            for path in sorted(glob.glob(pattern))
            if Path(path).name.split("+")[0] == Path(path).parent.name
        ]

    def parse_assignment(self, assignment: str) -> dict:
        """The fields nbgrader reads from a path (``inbound`` paths hold the student's folder)."""
        if not self.inbound:
            return super().parse_assignment(assignment)
        path = Path(assignment)
        student_id, assignment_id, timestamp, *rest = path.name.split("+")
        return {
            "course_id": path.parent.parent.parent.name,
            "student_id": student_id,
            "assignment_id": assignment_id,
            "timestamp": timestamp,
            "random_string": f"+{rest[0]}" if rest else None,
        }

    def parse_assignments(self) -> list[dict]:
        """The listing nbgrader makes, with feedback looked for in each student's folder."""
        assignments = super().parse_assignments()
        if self.inbound or self.cached:
            for assignment in assignments:
                for submission in assignment["submissions"]:
                    self.update_feedback(submission)
        return assignments

    def update_feedback(self, info: dict) -> None:
        """Set the feedback fields of one submission from ``feedback/<student>/``."""
        secret_file = Path(info["path"]) / "submission_secret.txt"
        if not info["notebooks"] or not _is_student_id(info["student_id"]):
            return
        secret = secret_file.read_text() if secret_file.is_file() else None
        folder = Path(self.root) / info["course_id"] / FEEDBACK / info["student_id"]
        for notebook in info["notebooks"]:
            page = folder / page_name(secret, notebook["notebook_id"]) if secret else None
            there = page is not None and page.is_file()
            notebook["has_exchange_feedback"] = there
            local = notebook.get("local_feedback_path")
            notebook["feedback_updated"] = bool(
                there and notebook["has_local_feedback"] and _md5(page) != _md5(Path(local))
            )
        info["has_exchange_feedback"] = all(n["has_exchange_feedback"] for n in info["notebooks"])
        info["feedback_updated"] = any(n["feedback_updated"] for n in info["notebooks"])


def page_name(secret: str, notebook_id: str) -> str:
    """The name of a feedback page: nbgrader's hash of the submission's secret and notebook."""
    return notebook_hash(secret=secret, notebook_id=notebook_id) + ".html"


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


# --- preparing an exchange --------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Who owns the course's folders: a user id and the group students' folders get."""

    uid: int
    gid: int


def prepare_exchange(
    root: Path,
    course_id: str,
    *,
    owner: Owner | None = None,
    students: Iterable[str] = (),
    one_uid: bool = False,
) -> list[str]:
    """Lay out ``root/course_id`` for :class:`PersonalExchange`; return what was done.

    Creates the root (0755; an existing root that others may write to becomes 0755), the
    course and ``outbound/`` (0755), ``inbound/`` and ``feedback/`` (setgid, sticky, 3733),
    owned by ``owner``. For every student named, it also creates ``inbound/<student>``
    (0750) and ``feedback/<student>`` (0770), the student's, in ``owner.gid``, so that
    nobody can take a listed student's name first; giving a folder to another user needs
    root. Existing folders keep their content; their owner and mode are set again.

    Args:
        root: The exchange root (``Exchange.root``).
        course_id: The course id (``CourseDirectory.course_id``).
        owner: Owner of the course's folders (the instructor); default the calling user.
            Its group is the instructors' group: no student may belong to it.
        students: Student ids (Unix user names, or hub user names with ``one_uid``).
        one_uid: Every server runs as ``owner`` (Kubernetes, uid 1000): students' folders
            belong to it too, and the pods' mounts keep students apart.

    Returns:
        One line per folder created or changed.

    Raises:
        ValueError: If a student id or the course id cannot name a folder, a student has no
            Unix user, or belongs to the owner's group.
        PermissionError: If a folder must be given to another user and this is not root.
    """
    check_student_id(course_id)
    owner = owner or Owner(os.geteuid(), os.getegid())
    students = [check_student_id(s) for s in students]
    uids = {} if one_uid else {s: _student_uid(s, owner.gid) for s in students}
    course = Path(root) / course_id
    done = _ensure_root(Path(root), owner)
    for folder, mode in ((course, OPEN_DIR), (course / OUTBOUND, OPEN_DIR)):
        _ensure(folder, mode, owner.uid, owner.gid, done)
    _ensure(course / INBOUND, INBOUND_DIR, owner.uid, owner.gid, done)
    _ensure(course / FEEDBACK, FEEDBACK_DIR, owner.uid, owner.gid, done)
    for student in students:
        uid = owner.uid if one_uid else uids[student]
        _ensure(course / INBOUND / student, STUDENT_INBOUND_DIR, uid, owner.gid, done)
        _ensure(course / FEEDBACK / student, STUDENT_FEEDBACK_DIR, uid, owner.gid, done)
    return done


def _ensure_root(root: Path, owner: Owner) -> list[str]:
    """Create the root (0755, the owner's); make an existing one writable by its owner only."""
    if not root.exists():
        return _ensure(root, OPEN_DIR, owner.uid, owner.gid, [])
    if root.is_symlink() or not root.is_dir():
        raise ValueError(f"root must be a folder, got {root}")
    mode = stat.S_IMODE(root.stat().st_mode)
    if mode & 0o022 or mode & 0o005 != 0o005:
        root.chmod(OPEN_DIR)  # nobody but its owner may add a course (or take one's name)
        return [f"mode of {root}: {OPEN_DIR:04o} (was {mode:04o})"]
    return []


def _student_uid(student: str, instructors_gid: int) -> int:
    try:
        user = pwd.getpwnam(student)
    except KeyError:
        raise ValueError(f"students must be Unix user names here, got {student!r}") from None
    groups = {user.pw_gid, *(g.gr_gid for g in grp.getgrall() if student in g.gr_mem)}
    if instructors_gid in groups:
        raise ValueError(
            f"student {student!r} belongs to the instructors' group (gid {instructors_gid}), "
            "which may read every submission; choose a group no student belongs to"
        )
    return user.pw_uid


def _ensure(folder: Path, mode: int, uid: int, gid: int, done: list[str]) -> list[str]:
    if folder.is_symlink():
        raise ValueError(f"folder must not be a symbolic link, got {folder}")
    if not folder.is_dir():
        folder.mkdir()
        done.append(f"created {folder}")
    info = folder.stat()
    if (info.st_uid, info.st_gid) != (uid, gid):
        os.chown(folder, uid, gid)
        done.append(f"owner of {folder}: {_user_name(uid)}, group {gid}")
    if stat.S_IMODE(folder.stat().st_mode) != mode:
        folder.chmod(mode)
        done.append(f"mode of {folder}: {mode:04o}")
    return done


# --- command line -------------------------------------------------------------------------------


def _owner(text: str) -> Owner:
    """``UID:GID``, ``USER:GROUP`` or ``USER`` (with the user's own group)."""
    name, _, group = text.partition(":")
    try:
        user = pwd.getpwuid(int(name)) if name.isdigit() else pwd.getpwnam(name)
    except KeyError:
        raise argparse.ArgumentTypeError(f"--owner must name a user, got {text!r}") from None
    if not group:
        return Owner(user.pw_uid, user.pw_gid)
    try:
        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
    except KeyError:
        raise argparse.ArgumentTypeError(f"--owner must name a group, got {text!r}") from None
    return Owner(user.pw_uid, gid)


def read_roster(path: Path) -> list[str]:
    """Student ids from a text file: one per line; blank lines and ``#`` comments skipped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text("utf-8").splitlines())
    return [line for line in lines if line]


def _course_from_config(path: Path) -> str:
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    return config.CourseDirectory.course_id


def main(argv: list[str] | None = None) -> int:
    """``python -m mesatoys.grading.exchange ROOT --course ID [--roster FILE] [--student ID]``.

    On Kubernetes the student pods' init container runs it with ``--one-uid --student
    {username}`` (``deploy/z2jh/config.yaml``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m mesatoys.grading.exchange",
        description="Prepare a class exchange in which students cannot see each other's work.",
    )
    parser.add_argument("root", type=Path, help="the exchange root (Exchange.root)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--course", help="the course id")
    which.add_argument("--config", type=Path, help="an nbgrader_config.py naming the course")
    parser.add_argument("--roster", type=Path, help="student ids, one per line")
    parser.add_argument(
        "--student", action="append", default=[], help="a student id (may be repeated)"
    )
    parser.add_argument("--owner", type=_owner, help="USER[:GROUP] owning the course's folders")
    parser.add_argument("--one-uid", action="store_true", help="every server runs as --owner")
    args = parser.parse_args(argv)
    course_id = args.course or _course_from_config(args.config)
    students = (read_roster(args.roster) if args.roster else []) + args.student
    if os.geteuid() == 0 and args.owner is None:
        parser.error("as root, --owner must name the instructor who will own the course")
    try:
        done = prepare_exchange(
            args.root, course_id, owner=args.owner, students=students, one_uid=args.one_uid
        )
    except (ValueError, PermissionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(done) or f"{args.root / course_id} was ready; nothing changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

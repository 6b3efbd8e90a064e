"""The course as students may see it: the repository without the answer keys.

The instructors' repository must stay private: ``assignments/source`` holds every solution
and hidden test, and the git history holds every earlier version of them. Everything a
student can reach (a public mirror, Binder, the student image) is made from this tree
instead. Two commands:

``python deploy/student_tree.py write DEST`` (``make student-tree DEST=...``)
    Write the repository's files into ``DEST``, minus the instructor-only paths below,
    ready to commit and push as a public mirror. The files are those git would push (tracked
    and not-ignored new files; without git, every file outside the usual build and cache
    folders). ``DEST`` must be outside the repository and either absent, empty, or an
    earlier student tree (a clone of the public mirror): then everything in it except its
    own ``.git`` is replaced.

``python deploy/student_tree.py prune DIR``
    Delete the instructor-only paths from ``DIR`` in place. Binder's ``postBuild`` runs it
    on the image's copy of the repository, as a guard.

The script needs only the Python standard library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Paths (relative to the repository root, with "/") that never reach a student.
INSTRUCTOR_ONLY: tuple[str, ...] = (
    ".git",  # the history holds every version of the keys
    "assignments/source",  # solutions and hidden tests
    "assignments/RUBRIC.md",  # the marking rubric of the written question
    "docs/instructors.md",  # the instructors' guide
    "tests/grading",  # read the keys from assignments/source to test the grading
    "tests/hub",
    "tests/course/test_question_quality.py",
    "tests/test_no_key_ships.py",
)
# Of assignments/ (the nbgrader course root) students get only the configuration: whatever
# else is in there (the sources, nbgrader's release/, submitted/, autograded/, feedback/,
# gradebook.db, grades.csv) is the instructor's.
ASSIGNMENTS = "assignments"
PUBLIC_IN_ASSIGNMENTS: tuple[str, ...] = ("assignments/nbgrader_config.py",)
# Without git: folders that are built or cached locally, never part of the course.
LOCAL_ONLY: frozenset[str] = frozenset(
    {
        ".venv",
        "__pycache__",
        ".ipynb_checkpoints",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "site",
        "test-artifacts",
    }
)


def is_instructor_only(path: str) -> bool:
    """Whether a repository path (relative, "/"-separated) must stay with the instructor.

    Args:
        path: A file or folder path relative to the repository root.

    Returns:
        True for the instructor-only paths, everything below them, and everything in
        ``assignments/`` except its configuration.
    """
    parts = [p for p in path.replace(os.sep, "/").split("/") if p not in ("", ".")]
    path = "/".join(parts)
    if ".git" in parts:
        return True
    for private in INSTRUCTOR_ONLY:
        if path == private or path.startswith(private + "/"):
            return True
    if parts and parts[0] == ASSIGNMENTS and len(parts) > 1:
        return not any(
            path == keep or keep.startswith(path + "/") for keep in PUBLIC_IN_ASSIGNMENTS
        )
    return False


def _git(root: Path, *args: str) -> list[str] | None:
    """``git ls-files -z <args>`` in ``root`` (None without git or outside a repository)."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    listed = subprocess.run(
        [git, "ls-files", "-z", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    return [p for p in listed if p and (root / p).is_file()]


def repository_files(root: Path) -> list[str]:
    """The files of a working tree that a push would publish, relative and "/"-separated.

    Args:
        root: The repository's root folder.

    Returns:
        Sorted paths: with git, the tracked files that still exist plus the new files git
        does not ignore (what ``git add -A`` would commit); without git, every file outside
        ``.git`` and the ``LOCAL_ONLY`` folders (and ``*.egg-info``).
    """
    listed = _git(root, "--cached", "--others", "--exclude-standard")
    if listed is not None:
        return sorted(set(listed))
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(
            d for d in dirs if d != ".git" and d not in LOCAL_ONLY and not d.endswith(".egg-info")
        )
        rel = Path(folder).relative_to(root)
        found.extend((rel / name).as_posix() for name in names)
    return sorted(found)


def uncommitted_files(root: Path) -> list[str]:
    """New files git does not ignore and does not track yet (copied too: check them).

    Args:
        root: The repository's root folder.

    Returns:
        Sorted paths; empty without git.
    """
    return sorted(set(_git(root, "--others", "--exclude-standard") or []))


def student_files(root: Path) -> list[str]:
    """The repository's files that may reach students.

    Args:
        root: The repository's root folder.

    Returns:
        ``repository_files(root)`` without the instructor-only paths.
    """
    return [p for p in repository_files(root) if not is_instructor_only(p)]


def _check_destination(dest: Path, root: Path) -> None:
    """Refuse a destination whose contents this script must not replace."""
    if dest == root or root in dest.parents or dest in root.parents:
        raise SystemExit(f"student-tree: {dest} must be outside the repository {root}")
    if dest.exists() and not dest.is_dir():
        raise SystemExit(f"student-tree: {dest} exists and is not a folder")
    if not dest.exists() or not any(dest.iterdir()):
        return
    earlier = (dest / ".git").exists() and (dest / "pyproject.toml").is_file()
    if not earlier or (dest / "assignments" / "source").exists():
        raise SystemExit(
            f"student-tree: {dest} is not empty and is not an earlier student tree "
            "(a git clone of the public mirror without assignments/source); "
            "choose a new or empty folder"
        )


def write(dest: Path, root: Path = ROOT) -> list[str]:
    """Write the student tree of ``root`` into ``dest``.

    Args:
        dest: The destination folder (see the module docstring for what it may hold).
        root: The repository to copy from.

    Returns:
        The paths written, relative to ``dest``.
    """
    root, dest = root.resolve(), dest.resolve()
    _check_destination(dest, root)
    files = student_files(root)
    dest.mkdir(parents=True, exist_ok=True)
    for entry in dest.iterdir():  # an earlier tree: keep its .git, replace the rest
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target, follow_symlinks=False)
    return files


def prune(folder: Path) -> list[str]:
    """Delete every instructor-only path below ``folder``, in place.

    Args:
        folder: A copy of the repository (for Binder, the image's).

    Returns:
        The paths removed, relative to ``folder``.
    """
    removed = []
    for current, dirs, names in os.walk(folder, topdown=True):
        rel = Path(current).relative_to(folder)
        for name in sorted(dirs):
            path = (rel / name).as_posix()
            if is_instructor_only(path):
                target = Path(current) / name
                if target.is_symlink():
                    target.unlink()
                else:
                    shutil.rmtree(target)
                dirs.remove(name)
                removed.append(path)
        for name in sorted(names):
            path = (rel / name).as_posix()
            if is_instructor_only(path):
                (Path(current) / name).unlink()
                removed.append(path)
    return sorted(removed)


def _summary(kind: str, paths: Iterable[str]) -> str:
    paths = list(paths)
    return f"{kind} {len(paths)} path(s)" + "".join(f"\n  {p}" for p in paths[:20])


def main(argv: list[str] | None = None) -> int:
    """Command line: ``write DEST`` or ``prune DIR``.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    to_write = commands.add_parser("write", help="write the student tree into DEST")
    to_write.add_argument("dest", type=Path)
    to_write.add_argument("--source", type=Path, default=ROOT, help="the repository")
    to_prune = commands.add_parser("prune", help="delete the instructor-only paths in place")
    to_prune.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.command == "prune":
        print("student-tree: " + _summary("removed", prune(args.folder)))
        return 0
    files = write(args.dest, args.source)
    dest = args.dest.resolve()
    print(f"student-tree: wrote {len(files)} files to {dest}")
    print("  left out: " + ", ".join(INSTRUCTOR_ONLY) + ", and assignments/ but its config")
    new = [p for p in uncommitted_files(args.source.resolve()) if p in set(files)]
    if new:
        print(
            f"  {len(new)} file(s) copied that git does not track yet; make sure each is "
            "meant for students:" + "".join(f"\n    {p}" for p in new)
        )
    if not (dest / ".git").exists():
        print(
            f"  to publish: cd {dest} && git init -b main && git add -A "
            "&& git commit -m 'Student release' && git remote add origin <public repo> "
            "&& git push -u origin main"
        )
    else:
        print(
            f"  to publish: cd {dest} && git add -A && git commit -m 'Student release' && git push"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""No answer key reaches students: not the wheel, the student tree, Binder or the image.

What students can get is built (or, for the image, computed) here and searched:

- **the wheel** (what ``pip install`` puts in the image, on Binder, anywhere), built once per
  session from a copy of the project by the build backend that ``pip wheel
  --no-build-isolation`` would call (PEP 517; offline, and a third of pip's time);
- **the student tree**, written by ``make student-tree`` (a public mirror; Binder's source);
- **the Binder tree**: the repository's files (what a clone holds, a ``.git`` included)
  after the removals ``postBuild`` makes, by running its ``deploy/student_tree.py prune``
  line on a copy;
- **the image**: the Docker build context as the ``.dockerignore`` rules leave it, minus what
  the Dockerfile's ``course-files`` stage deletes, plus the other ``COPY`` sources; and the
  second guard alone: the whole working tree minus those deletions, as if no ignore file
  were read. No image is built (no Docker daemon is needed): the rules are applied by the
  matcher below, which follows Docker's documented pattern syntax.

None may hold a ``.git``, ``assignments/source``, the rubric or the instructors' guide, and
none may hold a key line.

**Key lines** are read at test time from every source notebook under ``assignments/source``:
the lines between ``### BEGIN SOLUTION``/``### END SOLUTION`` and ``### BEGIN HIDDEN
TESTS``/``### END HIDDEN TESTS``, and the whole of any solution cell without those markers
(nbgrader replaces such a cell whole); and the criteria rows of ``assignments/RUBRIC.md``.
Runs of whitespace count as one space. Which of them are searched:

1. *Never*: lines without a letter or digit (blank lines, lone brackets), and lines that
   also occur outside those regions in a source notebook, i.e. in what nbgrader releases to
   every student (``import numpy as np`` of a setup cell, an exercise's ``def`` line):
   finding those proves nothing.
2. *Prose* (markdown solution cells, comments, rubric rows) with at least four words;
   shorter pieces (``yet reliable.``) are ordinary English.
3. *Code that states a value*: a whole statement holding a number or a quoted string
   (``q1 = "B"``, ``expect_choice(1, q1, "B")``, a list of test cases), not a piece of a
   statement split over lines (a line ending in ``,``, ``(``, ``[``, ``{`` or a backslash,
   or starting with a closing bracket: ``alpha=0.0,`` is an argument, not a statement).
   Code without literals (``import json``, ``rates = []``, ``return best``,
   ``rng = np.random.default_rng(seed)``) only combines public names: the lab asks students
   to rebuild the package's own machinery, so such lines rightly occur in the package and
   its tests, one at a time.

A searched line leaks wherever it occurs as a whole run of words in any file (for notebooks
and JSON, also inside the decoded strings). And, for code without literals:

4. *Copies of a region*: a file holding, as whole lines, at least two and more than half of
   one region's complete statements holds a copy of that solution or hidden test.

Not covered: a key restated in other words ("the answer to question 1 is B"), encoded,
split over lines differently, or in a binary file or an image; a real ``docker build``
(Docker's own matcher) and a real repo2docker build. ``tests/grading/test_leaks.py``
searches the released notebooks and the feedback pages for the answers themselves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "assignments" / "source"
RUBRIC = ROOT / "assignments" / "RUBRIC.md"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
IGNORE_FILES = (ROOT / ".dockerignore", ROOT / "deploy" / "Dockerfile.dockerignore")
REGIONS = (
    ("solution", "### BEGIN SOLUTION", "### END SOLUTION"),
    ("hidden tests", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
)
# What must never be in anything students get, whatever the script's own list says.
NEVER_SHIPPED = ("assignments/source", "assignments/RUBRIC.md", "docs/instructors.md")
MIN_PROSE_WORDS = 4
_LITERAL = re.compile(r"""["']|(?<![\w.])\d""")
_SPLIT_END = (",", "(", "[", "{", "\\", '"""', "'''")
_SPLIT_START = (")", "]", "}")
_WORD = re.compile(r"\w+")

pytestmark = pytest.mark.skipif(
    not SOURCES.is_dir(), reason="no assignments/source: not the instructors' repository"
)


def _load_student_tree():
    spec = importlib.util.spec_from_file_location(
        "student_tree", ROOT / "deploy" / "student_tree.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


student_tree = _load_student_tree()


# --- the key lines, read from the sources ---------------------------------------------------


def normalize(line: str) -> str:
    return " ".join(line.split())


@dataclass(frozen=True)
class Region:
    """One solution or hidden-test region (or a whole solution cell) of a source notebook."""

    origin: str  # "end_of_lesson_quiz.ipynb answer_q01 solution"
    lines: tuple[str, ...]  # normalized
    prose: bool  # a markdown cell


def _cell_source(cell: dict) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def read_sources() -> tuple[list[Region], set[str]]:
    """Every region of every source notebook, and every line outside them (the release)."""
    regions, public = [], set()
    notebooks = sorted(SOURCES.rglob("*.ipynb"))
    notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
    for path in notebooks:
        for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            name = f"{path.name} {meta.get('grade_id', f'cell {index}')}"
            prose = cell.get("cell_type") == "markdown"
            source = _cell_source(cell)
            marked = any(begin in source for _, begin, _ in REGIONS)
            if meta.get("solution") and not marked:
                lines = tuple(normalize(x) for x in source.splitlines())
                regions.append(Region(f"{name} solution cell", lines, prose))
                continue
            kind, inside = None, []
            for raw in source.splitlines():
                starts = [k for k, begin, _ in REGIONS if begin in raw]
                if starts:
                    kind, inside = starts[0], []
                elif kind and any(end in raw for k, _, end in REGIONS if k == kind):
                    regions.append(Region(f"{name} {kind}", tuple(inside), prose))
                    kind = None
                elif kind:
                    inside.append(normalize(raw))
                else:
                    public.add(normalize(raw))
    return regions, public


def rubric_rows() -> list[str]:
    """The criteria of the marking rubric: its table rows."""
    rows = (normalize(x) for x in RUBRIC.read_text(encoding="utf-8").splitlines())
    return [r for r in rows if r.startswith("|") and len(_WORD.findall(r)) >= MIN_PROSE_WORDS]


def _is_comment(line: str) -> bool:
    return line.startswith("#")


def is_statement(line: str) -> bool:
    """A code line that is a statement of its own, not a piece of one split over lines."""
    return bool(_WORD.search(line)) and not (
        line.endswith(_SPLIT_END) or line.startswith(_SPLIT_START) or _is_comment(line)
    )


def searched(line: str, prose: bool, public: set[str]) -> bool:
    """Rules 1 to 3 of the module docstring."""
    if not _WORD.search(line) or line in public:
        return False
    if prose or _is_comment(line):
        return len(_WORD.findall(line)) >= MIN_PROSE_WORDS
    return is_statement(line) and bool(_LITERAL.search(line))


@dataclass(frozen=True)
class Keys:
    lines: dict[str, str]  # searched line -> where it comes from
    blocks: list[tuple[str, frozenset[str]]]  # region -> its complete statements (rule 4)


def key_material() -> Keys:
    regions, public = read_sources()
    lines: dict[str, str] = {}
    blocks = []
    for region in regions:
        for line in region.lines:
            if searched(line, region.prose, public):
                lines.setdefault(line, region.origin)
        if not region.prose:
            statements = frozenset(
                x
                for x in region.lines
                if is_statement(x)
                and x not in public
                and not x.startswith(("import ", "from "))
                and len(_WORD.findall(x)) >= 2
            )
            if len(statements) >= 2:
                blocks.append((region.origin, statements))
    for row in rubric_rows():
        lines.setdefault(row, RUBRIC.name)
    return Keys(lines, blocks)


@pytest.fixture(scope="module")
def keys() -> Keys:
    return key_material()


# --- searching files ------------------------------------------------------------------------


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def text_lines(name: str, data: bytes) -> list[str]:
    """A file's lines, normalized; for JSON (notebooks included) also its decoded strings."""
    text = data.decode("utf-8", errors="replace")
    lines = [normalize(x) for x in text.splitlines()]
    if name.endswith((".ipynb", ".json")):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        for value in _strings(decoded):
            lines.extend(normalize(x) for x in value.splitlines())
    return lines


def _word_pattern(line: str) -> re.Pattern:
    before = r"(?<!\w)" if re.match(r"\w", line) else ""
    after = r"(?!\w)" if re.search(r"\w$", line) else ""
    return re.compile(before + re.escape(line) + after)


_CACHE: dict[str, list[str]] = {}


def leaks_in(name: str, data: bytes, keys: Keys) -> list[str]:
    """What of the key one file holds (one entry per key line or copied region)."""
    digest = hashlib.sha256(name.rsplit(".", 1)[-1].encode() + b"\0" + data).hexdigest()
    if digest not in _CACHE:
        lines = text_lines(name, data)
        text = "\n".join(lines)
        found = [
            f"{origin}: {line!r}"
            for line, origin in keys.lines.items()
            if line in text and _word_pattern(line).search(text)
        ]
        whole = set(lines)
        for origin, statements in keys.blocks:
            shared = statements & whole
            if len(shared) >= 2 and 2 * len(shared) > len(statements):
                found.append(f"{origin}: {len(shared)} of its {len(statements)} statements")
        _CACHE[digest] = found
    return _CACHE[digest]


def tree_leaks(files: dict[str, bytes], keys: Keys) -> dict[str, list[str]]:
    found = {name: leaks_in(name, data, keys) for name, data in files.items()}
    return {name: hits for name, hits in found.items() if hits}


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def forbidden_paths(paths: Iterable[str]) -> list[str]:
    """Paths that are or lie below ``.git`` or a path that never ships."""
    bad = []
    for path in paths:
        parts = path.split("/")
        if ".git" in parts or any(path == p or path.startswith(p + "/") for p in NEVER_SHIPPED):
            bad.append(path)
    return bad


# --- the wheel ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory) -> dict[str, bytes]:
    """The files of a wheel built from a copy of the project (once per session)."""
    work = tmp_path_factory.mktemp("wheel")
    project = work / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project)
    shutil.copytree(
        ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    backend = re.search(r'^build-backend\s*=\s*"([^"]+)"', pyproject, re.MULTILINE).group(1)
    build = (
        "import importlib, sys; "
        "print(importlib.import_module(sys.argv[1]).build_wheel(sys.argv[2]))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", build, backend, str(work / "dist")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = work / "dist" / proc.stdout.strip().splitlines()[-1]
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}


def test_the_wheel_holds_the_package_and_no_key(wheel_files, keys):
    assert "mesatoys/grading/__init__.py" in wheel_files
    assert any(name.endswith("/METADATA") for name in wheel_files)  # the README, as text
    assert not forbidden_paths(wheel_files)
    assert not any(name.endswith(".ipynb") for name in wheel_files)
    assert tree_leaks(wheel_files, keys) == {}


# --- the student tree and Binder ------------------------------------------------------------


def _make_student_tree(dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), "student-tree", f"DEST={dest}", f"PYTHON={sys.executable}"],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def student_files(tmp_path_factory) -> dict[str, bytes]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dest = tmp_path_factory.mktemp("student") / "mesatoys"
    proc = _make_student_tree(dest)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return read_tree(dest)


def test_the_student_tree_is_the_course_without_the_key(student_files, keys):
    for needed in (
        "README.md",
        "environment.yml",
        "postBuild",
        "pyproject.toml",
        "src/mesatoys/__init__.py",
        "notebooks/00_start_here.ipynb",
        "assignments/nbgrader_config.py",
        "deploy/student_tree.py",
    ):
        assert needed in student_files, needed
    assert not forbidden_paths(student_files)
    assert [p for p in student_files if p.startswith("assignments/")] == [
        "assignments/nbgrader_config.py"
    ]
    assert not [p for p in student_files if p.startswith(("tests/grading/", "tests/hub/"))]
    assert tree_leaks(student_files, keys) == {}


def test_the_student_tree_is_everything_else(student_files):
    published = set(student_tree.repository_files(ROOT))
    withheld = published - set(student_files)
    assert set(student_files) <= published
    assert all(student_tree.is_instructor_only(p) for p in withheld)
    assert {"docs/instructors.md", "assignments/RUBRIC.md"} <= withheld
    assert any(p.startswith("assignments/source/") for p in withheld)


def test_make_student_tree_refuses_folders_it_must_not_replace(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    inside = _make_student_tree(ROOT / "docs" / "student-tree")
    assert inside.returncode != 0 and "outside the repository" in inside.stderr
    assert not (ROOT / "docs" / "student-tree").exists()
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    refused = _make_student_tree(busy)
    assert refused.returncode != 0 and (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    usage = subprocess.run(["make", "-s", "-C", str(ROOT), "student-tree"], capture_output=True)
    assert usage.returncode != 0 and b"DEST=" in usage.stderr


def test_an_earlier_student_tree_is_updated_in_place(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    mirror = tmp_path / "mirror"
    assert _make_student_tree(mirror).returncode == 0
    (mirror / ".git").mkdir()
    (mirror / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (mirror / "removed-upstream.md").write_text("old", encoding="utf-8")
    proc = _make_student_tree(mirror)
    assert proc.returncode == 0, proc.stderr
    assert (mirror / ".git" / "HEAD").is_file()
    assert not (mirror / "removed-upstream.md").exists()
    assert (mirror / "README.md").is_file()


def _postbuild_prune_line() -> str:
    lines = (ROOT / "postBuild").read_text(encoding="utf-8").splitlines()
    calls = [x for x in lines if "student_tree.py" in x and not x.lstrip().startswith("#")]
    assert len(calls) == 1, calls
    return calls[0]


@pytest.fixture(scope="module")
def binder_files(tmp_path_factory) -> dict[str, bytes]:
    """A clone of the repository after postBuild's removals (run on a copy)."""
    clone = tmp_path_factory.mktemp("binder") / "repo"
    for rel in student_tree.repository_files(ROOT):
        target = clone / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    (clone / ".git" / "objects").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", _postbuild_prune_line()],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (clone / ".git").exists()
    return read_tree(clone)


def test_binder_keeps_the_course_and_drops_the_key(binder_files, keys):
    assert "notebooks/00_start_here.ipynb" in binder_files
    assert "environment.yml" in binder_files and "postBuild" in binder_files
    assert not forbidden_paths(binder_files)
    assert tree_leaks(binder_files, keys) == {}


def test_postbuild_prunes_before_anything_else():
    text = (ROOT / "postBuild").read_text(encoding="utf-8")
    assert "student_tree.py prune ." in _postbuild_prune_line()
    first_command = next(
        x for x in text.splitlines()[1:] if x.strip() and not x.lstrip().startswith(("#", "set "))
    )
    assert first_command == _postbuild_prune_line()


# --- the image ------------------------------------------------------------------------------


def docker_patterns(text: str) -> list[str]:
    """A .dockerignore's patterns, cleaned as Docker does (comments, spaces, leading /)."""
    patterns = []
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        pattern = raw.strip()
        if not pattern:
            continue
        pattern = os.path.normpath(pattern).replace(os.sep, "/")
        if len(pattern) > 1 and pattern.startswith("/"):
            pattern = pattern[1:]
        patterns.append(pattern)
    return patterns


def docker_regex(pattern: str) -> re.Pattern:
    """Docker's syntax: ``*`` and ``?`` within one path segment, ``**`` across segments."""
    out, i = "", 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
            out += ".*" if i >= len(pattern) else "(.*/)?"
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "[":
            end = pattern.index("]", i + 1)
            out += pattern[i : end + 1]
            i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + r"\Z")


class DockerIgnore:
    """Which paths a build context leaves out.

    As Docker walks the context: a path is left out when it, or a folder above it, matches
    a pattern. The project's files use no ``!`` exceptions, and this matcher refuses them
    rather than guess their finer rules.
    """

    def __init__(self, text: str):
        patterns = docker_patterns(text)
        assert not [p for p in patterns if p.startswith("!")], "teach DockerIgnore about '!'"
        self.regexes = [docker_regex(p) for p in patterns]

    def excludes(self, path: str) -> bool:
        parts = path.split("/")
        prefixes = ("/".join(parts[: i + 1]) for i in range(len(parts)))
        return any(r.match(prefix) for prefix in prefixes for r in self.regexes)


def test_the_docker_matcher_follows_dockers_rules():
    ignore = DockerIgnore("# comment\n.git\n/site\n**/__pycache__\n*.md\ndocs/a?.txt\n  build  \n")
    assert ignore.excludes(".git/HEAD") and ignore.excludes("site/index.html")
    assert ignore.excludes("__pycache__/x.pyc") and ignore.excludes("src/m/__pycache__/x.pyc")
    assert ignore.excludes("README.md") and not ignore.excludes("docs/deploy.md")
    assert ignore.excludes("docs/ab.txt") and not ignore.excludes("docs/abc.txt")
    assert ignore.excludes("build/lib/x.py") and not ignore.excludes("src/build.py")
    assert not ignore.excludes("src/.git/x") and not ignore.excludes("# comment")
    assert DockerIgnore("**/.git").excludes("src/sub/.git/config")
    assert DockerIgnore("**").excludes("anything/at/all")
    assert DockerIgnore("a/**/b").excludes("a/b") and DockerIgnore("a/**/b").excludes("a/x/y/b")


def walk(root: Path, skip) -> list[str]:
    """Every file below ``root`` (relative), not descending into paths ``skip`` accepts."""
    found = []
    for folder, dirs, names in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = [d for d in dirs if not skip((rel / d).as_posix())]
        found.extend(p for p in ((rel / n).as_posix() for n in names) if not skip(p))
    return sorted(found)


@dataclass(frozen=True)
class Dockerfile:
    staging: str  # where the course-files stage copies the context
    removed: tuple[str, ...]  # what it deletes, relative to the context
    copied: tuple[str, ...]  # other COPY sources from the context


def read_dockerfile() -> Dockerfile:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)
    (files_stage,) = [s for s in stages if s.split("\n", 1)[0].endswith(" AS course-files")]
    (staging,) = re.findall(r"^COPY \. (\S+)$", files_stage, flags=re.MULTILINE)
    removed = []
    for command in re.findall(r"^RUN (.*)$", files_stage, flags=re.MULTILINE):
        for part in command.split("&&"):
            words = shlex.split(part)
            if words[:2] == ["rm", "-rf"]:
                for path in words[2:]:
                    assert path.startswith(staging + "/"), path
                    removed.append(path[len(staging) + 1 :])
    copied = []
    for stage in stages[1:]:
        if stage == files_stage:
            continue
        for line in re.findall(r"^COPY (.*)$", stage, flags=re.MULTILINE):
            words = [w for w in line.split() if not w.startswith("--")]
            if "--from=course-files" in line:
                assert words[0] == staging, line
            else:
                copied.extend(words[:-1])
    return Dockerfile(staging, tuple(removed), tuple(copied))


def _under(path: str, folders: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f + "/") for f in folders)


@pytest.fixture(scope="module")
def image() -> dict[str, dict[str, bytes]]:
    """The image's course files, with both guards and with the second one alone."""
    ignore = DockerIgnore(IGNORE_FILES[0].read_text(encoding="utf-8"))
    dockerfile = read_dockerfile()
    context = walk(ROOT, ignore.excludes)
    for source in dockerfile.copied:
        assert source in context, f"COPY {source}: not in the build context"
    both = [p for p in context if not _under(p, dockerfile.removed)]
    alone = walk(ROOT, lambda p: _under(p, dockerfile.removed))
    read = lambda paths: {p: (ROOT / p).read_bytes() for p in paths}  # noqa: E731
    return {"context and stage": read(both), "stage alone": read(alone)}


def test_both_ignore_files_are_the_same():
    first, second = (p.read_text(encoding="utf-8") for p in IGNORE_FILES)
    assert first == second


def test_the_ignore_files_and_the_stage_leave_out_every_instructor_only_path():
    ignore = DockerIgnore(IGNORE_FILES[0].read_text(encoding="utf-8"))
    removed = read_dockerfile().removed
    for path in (*student_tree.INSTRUCTOR_ONLY, *NEVER_SHIPPED, "assignments"):
        assert ignore.excludes(path), path
        assert _under(path, removed), path
    assert ignore.excludes("src/sub/.git/config")
    # Every plain entry of the ignore file is deleted by the stage too.
    plain = [p for p in docker_patterns(IGNORE_FILES[0].read_text("utf-8")) if "*" not in p]
    assert set(plain) <= set(removed), set(plain) - set(removed)


@pytest.mark.parametrize("guards", ["context and stage", "stage alone"])
def test_the_image_holds_the_course_and_no_key(image, keys, guards):
    files = image[guards]
    assert "src/mesatoys/__init__.py" in files and "notebooks/00_start_here.ipynb" in files
    assert not forbidden_paths(files)
    assert tree_leaks(files, keys) == {}


# --- the search itself ----------------------------------------------------------------------


def test_every_region_is_read_and_the_release_is_left_out(keys):
    regions, public = read_sources()
    notebooks = {p.name for p in SOURCES.rglob("*.ipynb")}
    assert notebooks and {r.origin.split(" ", 1)[0] for r in regions} == notebooks
    hidden = [r for r in regions if r.origin.endswith("hidden tests")]
    assert hidden and all(any(x in keys.lines for x in r.lines) for r in hidden)
    for notebook in notebooks:
        assert any(origin.startswith(notebook) for origin in keys.lines.values()), notebook
    assert not set(keys.lines) & public
    assert any(origin == RUBRIC.name for origin in keys.lines.values())


def test_the_search_finds_the_key_where_it_is(keys):
    """In the source notebooks themselves every searched line and region is found."""
    found = set()
    for path in SOURCES.rglob("*.ipynb"):
        found.update(leaks_in(path.name, path.read_bytes(), keys))
    lines = {hit.split(": ", 1)[1] for hit in found if not hit.endswith("statements")}
    rubric = {line for line, origin in keys.lines.items() if origin == RUBRIC.name}
    assert {repr(line) for line in keys.lines if line not in rubric} <= lines
    copied = {hit.split(": ", 1)[0] for hit in found if hit.endswith("statements")}
    assert copied == {origin for origin, _ in keys.blocks}
    rubric_hits = leaks_in("RUBRIC.md", RUBRIC.read_bytes(), keys)
    assert {f"{RUBRIC.name}: {line!r}" for line in rubric} <= set(rubric_hits)


def test_a_planted_key_line_is_found_in_code_and_in_a_notebook(keys):
    line = next(x for x, origin in keys.lines.items() if "hidden tests" in origin)
    module = b'"""A module."""\n\n\ndef f():\n    ' + line.encode() + b"\n"
    assert leaks_in("planted.py", module, keys)
    notebook = {"cells": [{"cell_type": "code", "source": ["x = 1\n", "    " + line + "\n"]}]}
    assert leaks_in("planted.ipynb", json.dumps(notebook).encode(), keys)
    assert not leaks_in("clean.py", b"import numpy as np\nrates = []\n", keys)
    origin, statements = keys.blocks[0]
    copied = "\n".join(f"    {x}" for x in sorted(statements)).encode()
    assert any(origin in hit for hit in leaks_in("copy.py", copied, keys))


def test_the_readme_and_the_guides_say_how_to_publish():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make student-tree" in readme and "private" in readme
    binder = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8").split("## Binder", 1)[1]
    assert "make student-tree" in binder.split("\n## ", 1)[0]
    guide = (ROOT / "docs" / "instructors.md").read_text(encoding="utf-8")
    assert "make student-tree DEST=" in guide and "assignments/RUBRIC.md" in guide
    assert "Rubric: question 15" not in guide  # the rubric lives in assignments/ only

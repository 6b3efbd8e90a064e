"""The class exchange (mesatoys.grading.exchange): each student's submissions and feedback in
a folder of their own, collected only from the right folder, copied without following links.

Most tests drive the exchange classes in this process on a tiny course (one notebook); the
first runs the whole round trip of the real quiz on one machine, instructor and student each
with their own config, as on a hub. Isolation between Unix users is tested on a real hub
(tests/hub/test_isolation.py).
"""

from __future__ import annotations

import getpass
import html
import os
import re
import stat
from pathlib import Path

import course as c
import nbformat
import pytest
from nbgrader.exchange import ExchangeError
from traitlets.config import Config

from mesatoys.grading import exchange as ex

REPO = Path(__file__).resolve().parents[2]
COURSE_ID = "mesatoys"
HW = "hw"
ME = getpass.getuser()

# --- a tiny course, driven in this process ------------------------------------------------------


class Tiny:
    """A course root with one released notebook, an exchange, and students' homes."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.root = tmp / "course"
        self.exchange = tmp / "exchange"
        release = self.root / "release" / HW
        release.mkdir(parents=True)
        nbformat.write(nbformat.v4.new_notebook(cells=[]), release / f"{HW}.ipynb")
        c.nbgrader_env()  # the gradebook's first use runs alembic by name

    def config(self, **traits: object) -> Config:
        config = Config()
        config.CourseDirectory.course_id = COURSE_ID
        config.CourseDirectory.root = str(self.root)
        config.Exchange.root = str(self.exchange)
        for dotted, value in traits.items():
            section, name = dotted.split("__")
            config[section][name] = value
        return config

    def run(self, cls: type, **traits: object) -> object:
        """Run one exchange action, as nbgrader's apps do."""
        from nbgrader.auth import Authenticator
        from nbgrader.coursedir import CourseDirectory

        config = self.config(**traits)
        coursedir = CourseDirectory(config=config)
        coursedir.assignment_id = traits.get("CourseDirectory__assignment_id", HW)
        app = cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
        result = app.start()
        return app if isinstance(app, ex.PersonalCollect) else result

    def home(self, student: str) -> Path:
        home = self.tmp / "homes" / student
        home.mkdir(parents=True, exist_ok=True)
        return home

    def student(self, cls: type, student: str, **traits: object) -> object:
        home = self.home(student)
        return self.run(
            cls,
            CourseDirectory__student_id=student,
            Exchange__assignment_dir=str(home),
            Exchange__cache=str(home / ".cache"),
            **traits,
        )

    def release(self) -> None:
        self.run(ex.PersonalReleaseAssignment)

    def submit(self, student: str) -> Path:
        """Fetch, then submit (as ``student``); the submission's folder in the exchange."""
        if not (self.home(student) / HW).exists():
            self.student(ex.PersonalFetchAssignment, student)
        self.student(ex.PersonalSubmit, student)
        return max(self.inbound(student).iterdir(), key=lambda p: p.name)

    def collect(self, check_owner: bool = False) -> ex.PersonalCollect:
        return self.run(ex.PersonalCollect, ExchangeCollect__check_owner=check_owner)

    def inbound(self, student: str = "") -> Path:
        return self.exchange / COURSE_ID / "inbound" / student

    def feedback(self, student: str = "") -> Path:
        return self.exchange / COURSE_ID / "feedback" / student

    def collected(self) -> list[str]:
        submitted = self.root / "submitted"
        return sorted(p.name for p in submitted.iterdir()) if submitted.exists() else []

    def fake_feedback(self, student: str, text: str) -> None:
        """What ``generate_feedback`` leaves for a collected submission: page, time, secret."""
        submitted = self.root / "submitted" / student / HW
        folder = self.root / "feedback" / student / HW
        folder.mkdir(parents=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            (folder / name).write_text((submitted / name).read_text())
        (folder / f"{HW}.html").write_text(text)


@pytest.fixture
def tiny(tmp_path) -> Tiny:
    course = Tiny(tmp_path)
    course.release()
    return course


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# --- the layout ---------------------------------------------------------------------------------


def test_release_lays_out_the_course_without_opening_the_root_to_everyone(tiny):
    course = tiny.exchange / COURSE_ID
    assert (course / "outbound" / HW / f"{HW}.ipynb").is_file()
    assert mode(tiny.exchange) == mode(course) == mode(course / "outbound") == 0o755
    # setgid, sticky, and nobody but the instructor lists them
    assert mode(course / "inbound") == mode(course / "feedback") == 0o3733


def test_a_submission_goes_to_the_students_own_folder(tiny):
    submission = tiny.submit("alice")
    assert submission.parent == tiny.inbound("alice")
    assert submission.name.startswith(f"alice+{HW}+")
    assert mode(tiny.inbound("alice")) == 0o750
    assert mode(tiny.feedback("alice")) == 0o770  # made too, for the instructor to fill
    assert mode(submission) == 0o755
    assert (submission / f"{HW}.ipynb").is_file()
    assert sorted(p.name for p in tiny.inbound().iterdir()) == ["alice"]


def test_a_student_cannot_submit_into_a_folder_that_is_not_theirs(tiny, monkeypatch):
    tiny.inbound("alice").mkdir(mode=0o750)  # made by someone else, as far as "alice" knows
    monkeypatch.setattr(ex.os, "geteuid", lambda: os.getuid() + 4242)
    with pytest.raises(ExchangeError, match="belongs to .* not to you"):
        tiny.submit("alice")


def test_a_folder_planted_as_a_link_is_not_submitted_into(tiny):
    elsewhere = tiny.tmp / "elsewhere"
    elsewhere.mkdir()
    tiny.inbound("alice").symlink_to(elsewhere)
    with pytest.raises(ExchangeError, match="not a folder"):
        tiny.submit("alice")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("bad", ["", ".hidden", "a/b", "..", "bob+x", "*", "a b", "x" * 129])
def test_student_ids_that_cannot_name_a_folder_are_refused(bad):
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        ex.check_student_id(bad)


@pytest.mark.parametrize("good", ["alice", "jovyan", "a.b-c_d", "alice@example.org", "7"])
def test_ordinary_student_ids_are_accepted(good):
    assert ex.check_student_id(good) == good


def test_a_student_id_that_cannot_name_a_folder_cannot_submit(tiny):
    with pytest.raises(ExchangeError, match="student_id must be"):
        tiny.submit("../alice")


# --- collecting ---------------------------------------------------------------------------------


def test_collect_takes_each_students_latest_submission(tiny):
    tiny.submit("alice")
    latest = tiny.submit("alice")
    tiny.submit("bob")
    collect = tiny.collect()
    assert tiny.collected() == ["alice", "bob"]
    assert collect.refused == []
    copied = tiny.root / "submitted" / "alice" / HW / "timestamp.txt"
    assert copied.read_text() == (latest / "timestamp.txt").read_text()


def test_collect_refuses_a_submission_in_another_students_folder(tiny):
    tiny.submit("alice")
    forged = tiny.submit("bob").rename(tiny.inbound("alice") / f"bob+{HW}+2030-01-01 00:00:00 UTC")
    collect = tiny.collect()
    assert tiny.collected() == ["alice"]  # bob's own folder is empty now
    assert collect.refused == [(str(forged), "it claims to be bob's but is in alice's folder")]


def test_collect_refuses_what_nbgrader_itself_would_have_left_in_inbound(tiny):
    flat = tiny.inbound() / f"mallory+{HW}+2030-01-01 00:00:00 UTC+abc"
    flat.mkdir()
    (tiny.inbound() / "notes.txt").write_text("x")
    collect = tiny.collect()
    assert tiny.collected() == []
    reasons = dict(collect.refused)
    assert reasons[str(flat)] == "not named by a student id"
    assert reasons[str(tiny.inbound() / "notes.txt")] == "not a student's folder but a file"


def test_collect_refuses_a_link_to_the_answer_key_and_keeps_the_earlier_copy(tiny):
    tiny.submit("alice")
    tiny.collect()
    first = (tiny.root / "submitted" / "alice" / HW / "timestamp.txt").read_text()
    key = tiny.root / "source" / HW
    key.mkdir(parents=True)
    (key / f"{HW}.ipynb").write_text("the answer key")
    hostile = tiny.submit("alice")
    (hostile / f"{HW}.ipynb").unlink()
    (hostile / f"{HW}.ipynb").symlink_to(key / f"{HW}.ipynb")
    collect = tiny.collect()
    assert collect.refused == [
        (str(hostile), f"{HW}.ipynb is a symbolic link; only files and folders")
    ]
    # Her latest acceptable submission stays collected; the key was never copied.
    submitted = tiny.root / "submitted" / "alice" / HW
    assert (submitted / "timestamp.txt").read_text() == first
    assert "the answer key" not in (submitted / f"{HW}.ipynb").read_text()


def test_collect_refuses_a_submission_that_is_a_link_to_another_folder(tiny):
    other = tiny.submit("bob")
    tiny.submit("alice")
    link = tiny.inbound("alice") / f"alice+{HW}+2031-01-01 00:00:00 UTC+zz"
    link.symlink_to(other)
    collect = tiny.collect()
    assert (str(link), "a submission is a folder, this is a symbolic link") in collect.refused
    ours = tiny.root / "submitted" / "alice" / HW / "timestamp.txt"
    assert ours.read_text() != (other / "timestamp.txt").read_text()


def test_collect_refuses_a_students_folder_that_is_a_link(tiny):
    tiny.submit("bob")
    tiny.inbound("mallory").symlink_to(tiny.inbound("bob"))
    collect = tiny.collect()
    assert tiny.collected() == ["bob"]
    reason = dict(collect.refused)[str(tiny.inbound("mallory"))]
    assert reason == "not a student's folder but a symbolic link"


def test_with_owner_checks_a_folder_must_belong_to_the_user_it_names(tiny):
    tiny.submit(ME)  # the test's own Unix user: its folder is its own
    tiny.submit("nosuchuser0")
    collect = tiny.collect(check_owner=True)
    assert tiny.collected() == [ME]
    reason = dict(collect.refused)[str(tiny.inbound("nosuchuser0"))]
    assert "no Unix user is named 'nosuchuser0'" in reason
    assert "ExchangeCollect.check_owner = False" in reason


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_with_owner_checks_a_folder_owned_by_someone_else_is_refused(tiny):
    tiny.submit("root")
    os.chown(tiny.inbound("root"), 65534, 65534)  # nobody's, not root's
    collect = tiny.collect(check_owner=True)
    assert tiny.collected() == []
    assert "not to root" in dict(collect.refused)[str(tiny.inbound("root"))]


# --- feedback and listing -----------------------------------------------------------------------


def test_feedback_reaches_only_its_students_folder_and_is_fetched_from_there(tiny):
    for student in ("alice", "bob"):
        tiny.submit(student)
    tiny.collect()
    for student in ("alice", "bob"):
        tiny.fake_feedback(student, f"feedback for {student}")
    tiny.run(ex.PersonalReleaseFeedback)
    assert sorted(p.name for p in tiny.feedback().iterdir()) == ["alice", "bob"]
    for student in ("alice", "bob"):
        (page,) = tiny.feedback(student).iterdir()
        assert page.read_text() == f"feedback for {student}"
        assert mode(tiny.feedback(student)) == 0o770 and mode(page) == 0o644
        tiny.student(ex.PersonalFetchFeedback, student)
        (fetched,) = (tiny.home(student) / HW / "feedback").rglob("*.html")
        assert fetched.read_text() == f"feedback for {student}"


def test_feedback_is_not_written_through_a_planted_link(tiny):
    tiny.submit("alice")
    tiny.collect()
    tiny.fake_feedback("alice", "feedback")
    target = tiny.tmp / "target"
    target.mkdir()
    tiny.feedback("alice").rmdir()  # the folder her submission made, replaced by a link
    tiny.feedback("alice").symlink_to(target)
    tiny.run(ex.PersonalReleaseFeedback)
    assert list(target.iterdir()) == []


def test_a_student_without_a_feedback_folder_gets_one_only_they_can_use(tiny):
    tiny.submit("alice")
    tiny.collect()
    tiny.fake_feedback("alice", "feedback")
    tiny.feedback("alice").rmdir()  # e.g. an exchange laid out before students had folders
    tiny.run(ex.PersonalReleaseFeedback)
    assert mode(tiny.feedback("alice")) == 0o711  # nobody lists it; the page's name is secret
    tiny.student(ex.PersonalFetchFeedback, "alice")
    assert list((tiny.home("alice") / HW / "feedback").rglob("*.html"))


def test_write_file_replaces_a_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "page.html").symlink_to(victim)
    ex.write_file(tmp_path, "page.html", b"new")
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "page.html").is_symlink()
    assert (tmp_path / "page.html").read_text() == "new"
    with pytest.raises(ValueError, match=r"name must be a plain file name, got '\.\./x'"):
        ex.write_file(tmp_path, "../x", b"")


def test_the_assignments_tab_lists_a_submission_with_its_feedback(tiny):
    tiny.submit("alice")
    tiny.collect()
    tiny.fake_feedback("alice", "feedback")

    def submitted() -> dict:
        (assignment,) = tiny.student(ex.PersonalList, "alice", ExchangeList__cached=True)
        return assignment["submissions"][-1]

    assert submitted()["has_exchange_feedback"] is False
    tiny.run(ex.PersonalReleaseFeedback)
    assert submitted()["has_exchange_feedback"] is True
    tiny.student(ex.PersonalFetchFeedback, "alice")
    listed = submitted()
    assert listed["has_local_feedback"] and not listed["feedback_updated"]


def test_the_instructors_inbound_listing_shows_each_students_folder(tiny):
    tiny.submit("alice")
    tiny.submit("bob")
    listed = tiny.run(ex.PersonalList, ExchangeList__inbound=True)
    assert sorted(a["student_id"] for a in listed) == ["alice", "bob"]
    assert all(s["path"].startswith(str(tiny.inbound())) for a in listed for s in a["submissions"])


# --- copying without following links -----------------------------------------------------------


@pytest.fixture
def tree(tmp_path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.ipynb").write_text("a")
    (src / "sub" / "b.txt").write_text("b")
    (src / "skip.pyc").write_text("c")
    return src


def test_copy_tree_copies_files_and_folders_and_leaves_out_ignored_names(tree, tmp_path):
    skipped = ex.copy_tree(tree, tmp_path / "dest", ignore=["*.pyc"])
    assert skipped == ["skip.pyc"]
    assert (tmp_path / "dest" / "sub" / "b.txt").read_text() == "b"
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["a.ipynb", "sub"]


@pytest.mark.parametrize("kind", ["file link", "folder link", "fifo"])
def test_copy_tree_refuses_links_and_special_files(tree, tmp_path, kind):
    if kind == "file link":
        (tree / "sub" / "x").symlink_to("/etc/passwd")
    elif kind == "folder link":
        (tree / "sub" / "x").symlink_to("/etc")
    else:
        os.mkfifo(tree / "sub" / "x")
    expected = "named pipe" if kind == "fifo" else "symbolic link"
    with pytest.raises(ex.UnsafeSubmissionError, match=f"sub/x is a {expected}"):
        ex.copy_tree(tree, tmp_path / "dest")


def test_copy_tree_refuses_a_link_between_a_trusted_folder_and_the_source(tree, tmp_path):
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    (trusted / "student").symlink_to(tree.parent)
    with pytest.raises(ex.UnsafeSubmissionError, match="student is not a folder"):
        ex.copy_tree(trusted / "student" / "src", None, trusted=trusted)
    assert ex.copy_tree(tree, None, trusted=tmp_path) == []


def test_copy_tree_refuses_too_much_and_leaves_out_large_files(tree, tmp_path):
    (tree / "big.bin").write_bytes(b"x" * 5000)
    assert "big.bin" in ex.copy_tree(tree, None, max_file_kb=4)
    with pytest.raises(ex.UnsafeSubmissionError, match="more than 4 kB in all"):
        ex.copy_tree(tree, None, max_total_kb=4)


# --- preparing an exchange ----------------------------------------------------------------------


def test_prepare_lays_out_an_exchange_and_closes_a_world_writable_root(tmp_path):
    root = tmp_path / "exchange"
    root.mkdir()
    root.chmod(0o1777)  # what the old instructions said
    done = ex.prepare_exchange(root, COURSE_ID)
    assert f"mode of {root}: 0755 (was 1777)" in done
    course = root / COURSE_ID
    assert [mode(p) for p in (root, course, course / "outbound")] == [0o755] * 3
    assert mode(course / "inbound") == mode(course / "feedback") == 0o3733
    assert ex.prepare_exchange(root, COURSE_ID) == []  # a second run changes nothing


def test_prepare_with_one_uid_creates_every_listed_students_folders(tmp_path):
    me = ex.Owner(os.geteuid(), os.getegid())
    ex.prepare_exchange(tmp_path, COURSE_ID, owner=me, students=["alice", "bob"], one_uid=True)
    for student in ("alice", "bob"):
        assert mode(tmp_path / COURSE_ID / "inbound" / student) == 0o750
        assert mode(tmp_path / COURSE_ID / "feedback" / student) == 0o770


def test_prepare_refuses_students_without_a_unix_user_and_bad_names(tmp_path, capsys):
    with pytest.raises(ValueError, match="students must be Unix user names here, got 'nosuch0'"):
        ex.prepare_exchange(tmp_path, COURSE_ID, students=["nosuch0"])
    roster = tmp_path / "roster.txt"
    roster.write_text("# the class\nalice\n\n../bob  # a typo\n")
    assert ex.read_roster(roster) == ["alice", "../bob"]
    owner = ["--owner", ME] if os.geteuid() == 0 else []
    args = [str(tmp_path), "--course", COURSE_ID, "--roster", str(roster), "--one-uid", *owner]
    assert ex.main(args) == 1
    assert "student_id must be" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="the check applies when root runs it")
def test_prepare_as_root_wants_to_know_the_instructor(tmp_path, capsys):
    with pytest.raises(SystemExit):
        ex.main([str(tmp_path), "--course", COURSE_ID])
    assert "--owner must name the instructor" in capsys.readouterr().err


def test_prepare_reads_the_course_id_from_the_courses_config(tmp_path, capsys):
    owner = ["--owner", ME] if os.geteuid() == 0 else []
    config = REPO / "assignments" / "nbgrader_config.py"
    assert ex.main([str(tmp_path), "--config", str(config), *owner]) == 0
    assert (tmp_path / COURSE_ID / "inbound").is_dir()
    assert f"created {tmp_path / COURSE_ID}" in capsys.readouterr().out


# --- every config selects these classes ---------------------------------------------------------


@pytest.mark.parametrize("config", ["assignments/nbgrader_config.py", "deploy/nbgrader_config.py"])
def test_the_course_and_every_server_use_these_exchange_classes(config, monkeypatch):
    from nbgrader.exchange import ExchangeFactory
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.delenv("MESATOYS_STUDENT_ID", raising=False)
    path = REPO / config
    loaded = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    assert dict(loaded.ExchangeFactory) == ex.EXCHANGE_CLASSES
    factory = ExchangeFactory(config=loaded)
    for action in ex.EXCHANGE_CLASSES:
        chosen = getattr(factory, action)
        default = ExchangeFactory.class_traits()[action].default_value
        assert issubclass(chosen, default) and chosen.__module__ == ex.__name__


def test_the_deployed_config_takes_the_student_id_kubernetes_gives(monkeypatch):
    from traitlets.config.loader import PyFileConfigLoader

    path = REPO / "deploy" / "nbgrader_config.py"
    for value, expected in (("alice-2e", "alice-2e"), ("", None)):
        monkeypatch.setenv("MESATOYS_STUDENT_ID", value)
        loaded = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        assert loaded.CourseDirectory.get("student_id") == expected


# --- the real quiz, round trip on one machine ---------------------------------------------------


@pytest.mark.slow
def test_release_fetch_submit_collect_grade_and_return_feedback(tmp_path):
    exchange = tmp_path / "exchange"
    root = c.copy_course(tmp_path)
    api = c.make_api(root, Exchange__root=str(exchange))
    assert api.generate_assignment(c.QUIZ)["success"]
    released = api.release_assignment(c.QUIZ)
    assert released["success"], released.get("log")

    home = c.student_home(tmp_path, exchange)  # its config names the exchange classes
    c.run_as_student(home, "fetch_assignment", c.QUIZ)
    c.answer_all(home / c.QUIZ / f"{c.QUIZ}.ipynb")
    c.run_as_student(home, "submit", c.QUIZ)
    student = ME  # the student id is the user name
    (submission,) = (exchange / COURSE_ID / "inbound" / student).iterdir()
    assert submission.name.startswith(f"{student}+{c.QUIZ}+")

    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert api.collect(c.QUIZ)["success"]
        assert (root / "submitted" / student / c.QUIZ / f"{c.QUIZ}.ipynb").exists()
        assert api.autograde(c.QUIZ, student)["success"]
        assert api.generate_feedback(c.QUIZ, student)["success"]
        assert api.release_feedback(c.QUIZ, student)["success"]
    finally:
        os.chdir(cwd)
    assert c.scores(root, c.QUIZ) == {student: float(len(c.answer_key()))}
    assert len(list((exchange / COURSE_ID / "feedback" / student).iterdir())) == 1

    c.run_as_student(home, "fetch_feedback", c.QUIZ)
    pages = list((home / c.QUIZ / "feedback").rglob("*.html"))
    assert len(pages) == 1
    page = html.unescape(c.text_of(pages[0]))
    assert "Score: 1.0 / 1.0" in page
    assert "BEGIN HIDDEN TESTS" not in page and "expect_choice" not in page
    # It opens offline: nothing to fetch from the internet (nbgrader's MathJax CDN script).
    assert c.external_resources(page) == []
    assert "<style" in page  # the check looks at real markup (CSS is inlined)


@pytest.mark.parametrize("assignment", c.ASSIGNMENTS)
def test_assignments_need_no_mathjax(assignment):
    """Feedback pages leave MathJax out (they must work offline): no maths to typeset."""
    for cell in c.read(c.source_path(assignment)).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\$[^$\s][^$]*\$|\\\(|\\\[", cell.source), cell.source[:80]

"""The exchange as a student's Kubernetes pod sees it, on this machine.

On Zero to JupyterHub every pod runs as uid 1000, so file permissions cannot keep students
apart; the pod's mounts do (``deploy/z2jh/config.yaml``). Here bubblewrap gives a student's
nbgrader exactly those mounts, read from the YAML: the released assignments read-only, the
student's own ``inbound/<student>`` and ``feedback/<student>`` (read-only), nothing else of the
exchange volume. The folders are laid out by the init container's own command. Everything
runs as one user, as in the cluster.

Alice and Bob fetch, submit and fetch feedback through the course's deployed nbgrader config
(``deploy/nbgrader_config.py``); Alice cannot see, change or forge Bob's work; the instructor,
who mounts the whole volume, collects and returns feedback to each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import course as c
import pytest
import yaml
from test_exchange import HW, Tiny

from mesatoys.grading import exchange as ex

ROOT = Path(__file__).resolve().parents[2]
POD_EXCHANGE = "/srv/nbgrader/exchange"
NBGRADER = str(Path(sys.executable).parent / "nbgrader")

# What Alice tries from inside her pod; each line prints "refused" or what it got.
ATTACK = r"""
import json, os, sys
root = sys.argv[1]
def attempt(name, action):
    try:
        result = action()
    except OSError as error:
        print(name, "refused", error.strerror)
    else:
        print(name, "ALLOWED", str(result)[:60])
attempt("list inbound", lambda: os.listdir(f"{root}/mesatoys/inbound"))
attempt("list feedback", lambda: os.listdir(f"{root}/mesatoys/feedback"))
attempt("bob's inbound", lambda: os.listdir(f"{root}/mesatoys/inbound/bob"))
attempt("write outbound", lambda: open(f"{root}/mesatoys/outbound/{sys.argv[2]}/x", "w"))
attempt("write feedback", lambda: open(f"{root}/mesatoys/feedback/alice/x.html", "w"))
"""


def _skip_reason() -> str | None:
    if shutil.which("bwrap") is None and not Path("/usr/bin/bwrap").exists():
        return "bubblewrap is not installed"
    if os.geteuid() != 0:
        return "simulating a pod's mounts with bubblewrap needs root here"
    return c.sandbox_missing()


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=str(_skip_reason()))


class Cluster:
    """The exchange volume, the instructor's view of it, and a pod per student."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tiny = Tiny(tmp)  # the instructor: course root and the whole volume
        self.volume = self.tiny.exchange
        self.config = yaml.safe_load((ROOT / "deploy" / "z2jh" / "config.yaml").read_text())

    def start_pod(self, student: str) -> None:
        """What KubeSpawner does before the server starts: run the init container."""
        (init,) = self.config["singleuser"]["initContainers"]
        args = [a.replace("{username}", student) for a in init["command"][3:]]
        args[0] = str(self.volume)  # the whole volume, mounted in the init container only
        args[args.index("--owner") + 1] = f"{os.geteuid()}:{os.getegid()}"
        assert ex.main(args) == 0

    def pod_root(self, student: str) -> Path:
        return self.tmp / "pods" / student

    def home(self, student: str) -> Path:
        """The student's home volume (a folder of its own here)."""
        home = self.tmp / "homes" / student
        home.mkdir(parents=True, exist_ok=True)
        return home

    def in_pod(self, student: str, *command: str) -> subprocess.CompletedProcess:
        """Run ``command`` as ``student``'s server would, with the pod's mounts only."""
        pod = self.pod_root(student)
        home = pod / "home"
        exchange = f"{pod}{POD_EXCHANGE}"
        args = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", str(pod)]
        for mount in self.config["singleuser"]["storage"]["extraVolumeMounts"]:
            source = self.volume / mount["subPath"].replace("{username}", student)
            target = f"{pod}{mount['mountPath'].replace('{username}', student)}"
            args += ["--ro-bind" if mount.get("readOnly") else "--bind", str(source), target]
        args += ["--tmpfs", str(self.volume), "--tmpfs", str(self.tiny.root)]  # not in a pod
        args += ["--bind", str(self.home(student)), str(home), "--chdir", str(home)]
        # The rest of the pod's tree is the image's, where uid 1000 may not create folders.
        args += ["--remount-ro", str(pod)]
        config = (
            f"c = get_config()\nload_subconfig({str(ROOT / 'deploy' / 'nbgrader_config.py')!r})\n"
        )
        args += ["bash", "-c", 'printf %s "$0" > nbgrader_config.py && exec "$@"', config]
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "MESATOYS_EXCHANGE": exchange,
            "MESATOYS_STUDENT_ID": student,
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        }
        return subprocess.run(
            [*args, *command], capture_output=True, text=True, timeout=120, env=env
        )

    def nbgrader(self, student: str, *args: str) -> str:
        proc = self.in_pod(student, NBGRADER, *args)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Cluster:
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    for student in ("alice", "bob"):
        cluster.start_pod(student)
    cluster.tiny.release()
    return cluster


def test_a_student_fetches_and_submits_into_their_own_folder(cluster):
    for student in ("alice", "bob"):
        assert HW in cluster.nbgrader(student, "list")
        cluster.nbgrader(student, "fetch_assignment", HW)
        cluster.nbgrader(student, "submit", HW)
        (submission,) = (cluster.volume / "mesatoys" / "inbound" / student).iterdir()
        assert submission.name.startswith(f"{student}+{HW}+")


def test_a_pod_holds_no_other_students_folder_and_cannot_change_what_it_reads(cluster):
    proc = cluster.in_pod("alice", sys.executable, "-c", ATTACK, f"{cluster.pod_root('alice')}"
                          f"{POD_EXCHANGE}", HW)  # fmt: skip
    lines = dict(line.split(" ", 1) if " " not in line else _split(line) for line in
                 proc.stdout.splitlines())  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert lines["list inbound"] == "ALLOWED ['alice']"  # only her own folder is there
    assert lines["list feedback"] == "ALLOWED ['alice']"
    assert lines["bob's inbound"].startswith("refused")
    assert lines["write outbound"].startswith("refused")
    assert lines["write feedback"].startswith("refused")


def _split(line: str) -> tuple[str, str]:
    for verdict in (" refused", " ALLOWED"):
        if verdict in line:
            name, rest = line.split(verdict, 1)
            return name, verdict.strip() + rest
    return line, ""


def test_a_student_cannot_submit_in_another_students_name(cluster):
    forged = cluster.in_pod("alice", NBGRADER, "submit", HW, "--student=bob")
    assert forged.returncode != 0  # there is no folder of Bob's in her pod to write to
    assert len(list((cluster.volume / "mesatoys" / "inbound" / "bob").iterdir())) == 1


def test_the_instructor_collects_each_students_own_and_refuses_a_planted_one(cluster):
    # Alice plants a copy of her submission under Bob's name, in the only folder she can.
    inbound = cluster.volume / "mesatoys" / "inbound"
    (mine,) = inbound.joinpath("alice").iterdir()
    planted = inbound / "alice" / f"bob+{HW}+2099-01-01 00:00:00.000000 UTC+forged"
    shutil.copytree(mine, planted)
    collect = cluster.tiny.collect()
    assert cluster.tiny.collected() == ["alice", "bob"]
    assert collect.refused == [(str(planted), "it claims to be bob's but is in alice's folder")]
    (bobs,) = inbound.joinpath("bob").iterdir()
    copied = cluster.tiny.root / "submitted" / "bob" / HW / "timestamp.txt"
    assert copied.read_text() == (bobs / "timestamp.txt").read_text()
    shutil.rmtree(planted)


def test_each_student_fetches_only_their_own_feedback(cluster):
    for student in ("alice", "bob"):
        cluster.tiny.fake_feedback(student, f"<p>feedback for {student}</p>")
    cluster.tiny.run(ex.PersonalReleaseFeedback)
    for student in ("alice", "bob"):
        cluster.nbgrader(student, "fetch_feedback", HW)
        pages = (cluster.home(student) / HW / "feedback").rglob("*.html")
        assert [p.read_text() for p in pages] == [f"<p>feedback for {student}</p>"]

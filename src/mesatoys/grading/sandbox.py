"""The sandbox a student's kernel runs in while it is graded: bubblewrap with limits.

:class:`Sandbox` turns a kernel's command line into one that runs it under ``bwrap`` with

- nothing of the host's file system but ``/usr``, the Python environment the grader runs
  (its ``sys.path``, read-only) and a private copy of the submission folder (read-only,
  copied into a size-limited ``tmpfs`` that is the kernel's working folder and home);
  no course root, gradebook, other submission or home folder;
- its own process, network (loopback only), IPC and host-name namespaces: no network;
- a user id of its own with no capabilities (when the grader is root, a distinct
  unprivileged uid per running sandbox, leased through :class:`UidLease`, so that the
  process limit holds and one sandbox's processes never count against another's);
- resource limits (``prlimit``): address space, processes, file size, open files, CPU
  seconds, no core dumps; and an OOM score that makes the kernel the first thing the
  host's OOM killer takes.

The kernel talks to the grader through ZeroMQ ``ipc`` sockets in a runtime folder that is
bound into the sandbox (:mod:`mesatoys.grading.kernel`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

BWRAP = "/usr/bin/bwrap"
HOME = "/home/student"
SUBMISSION_COPY = "/mnt/submission"
UID_BASE = 61000
UID_COUNT = 256
LOCK_DIR = Path("/tmp/mesatoys-sandbox-uids")
MIB = 1024 * 1024


class SandboxError(RuntimeError):
    """The sandbox cannot be set up on this machine, or would expose what it must hide."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (all of its processes).

    Attributes:
        memory_bytes: Address space of each process (``RLIMIT_AS``).
        processes: Processes and threads of the sandbox's user (``RLIMIT_NPROC``).
        file_bytes: Size of any file it writes (``RLIMIT_FSIZE``).
        open_files: Open file descriptors per process (``RLIMIT_NOFILE``).
        cpu_seconds: CPU time of each process (``RLIMIT_CPU``), a backstop behind the
            executor's wall-clock timeouts.
        home_bytes: Size of the working folder (a ``tmpfs``, the submission copied in).
        tmp_bytes: Size of ``/tmp`` (a ``tmpfs``).
    """

    memory_bytes: int = 2048 * MIB
    processes: int = 64
    file_bytes: int = 64 * MIB
    open_files: int = 256
    cpu_seconds: int = 900
    home_bytes: int = 256 * MIB
    tmp_bytes: int = 64 * MIB

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")

    def prlimit_args(self) -> list[str]:
        """The ``prlimit`` options that apply these limits."""
        return [
            f"--as={self.memory_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_bytes}",
            f"--nofile={self.open_files}",
            f"--cpu={self.cpu_seconds}",
            "--core=0",
        ]


KERNEL_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": HOME,
    "USER": "student",
    "LOGNAME": "student",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONNOUSERSITE": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_ARENA_MAX": "2",
    "MPLCONFIGDIR": "/tmp/matplotlib",
}
"""The kernel's whole environment: nothing of the grader's is passed on."""

# The kernel copies the submission into its working folder, then makes itself the OOM
# killer's first choice, then becomes the kernel.
_ENTRY = f'cp -R {SUBMISSION_COPY}/. . 2>/dev/null; echo 1000 > /proc/self/oom_score_adj; exec "$@"'


@dataclass(frozen=True)
class Sandbox:
    """How to run a command in the grading sandbox.

    Attributes:
        limits: Resource limits.
        bwrap: Path of the bubblewrap executable.
        hidden: Paths that must stay out of the sandbox (the course root); setting up
            refuses to bind any folder that contains one of them.
        extra_env: Variables added to :data:`KERNEL_ENV` (values must be strings).
    """

    limits: Limits = field(default_factory=Limits)
    bwrap: str = BWRAP
    hidden: tuple[str, ...] = ()
    extra_env: tuple[tuple[str, str], ...] = ()

    def command(
        self, argv: list[str], runtime: Path, submission: Path, uid: int | None
    ) -> list[str]:
        """The command line that runs ``argv`` in the sandbox.

        Args:
            argv: The kernel's own command line.
            runtime: Folder bound read-write at the same path (connection file, sockets).
            submission: Private copy of the submission folder, bound read-only and copied
                into the kernel's working folder.
            uid: Unprivileged user id to run as when the grader is root (see
                :class:`UidLease`); None when the grader is not root.

        Returns:
            The full command line, starting with ``bwrap``.

        Raises:
            SandboxError: If a bound folder would expose a path in ``hidden``.
        """
        binds = python_paths()
        self._refuse_hidden(binds)
        made = {"/", "/usr", "/tmp"}
        args = [self.bwrap, *_namespaces(uid), "--die-with-parent", *_system_mounts()]
        # /tmp first: an environment that lives under /tmp (a checkout there) is bound on top.
        args += ["--size", str(self.limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
        for path in binds:
            args += [*_parents(path, made), "--ro-bind", path, path]
        args += [*_parents(HOME, made), "--size", str(self.limits.home_bytes)]
        args += ["--perms", "0777", "--tmpfs", HOME]
        args += [*_parents(SUBMISSION_COPY, made), "--ro-bind", str(submission), SUBMISSION_COPY]
        args += [*_parents(str(runtime), made), "--bind", str(runtime), str(runtime)]
        args += ["--chdir", HOME, "--clearenv"]
        for name, value in {**KERNEL_ENV, **dict(self.extra_env)}.items():
            args += ["--setenv", name, value]
        args += ["--"]
        if uid is not None:
            args += _drop_to(uid)
        args += ["prlimit", *self.limits.prlimit_args(), "--"]
        return [*args, "sh", "-c", _ENTRY, "sandbox", *argv]

    def _refuse_hidden(self, binds: list[str]) -> None:
        for secret in self.hidden:
            secret_path = Path(secret).resolve()
            for bound in binds:
                if secret_path == Path(bound) or Path(bound) in secret_path.parents:
                    raise SandboxError(
                        f"the sandbox would expose {secret_path} through the Python path "
                        f"entry {bound}: install the environment outside the course root"
                    )


def _namespaces(uid: int | None) -> list[str]:
    spaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    spaces.append("--unshare-cgroup-try")
    if uid is None:  # not root: a user namespace maps the grader's own uid
        return [*spaces, "--unshare-user", "--disable-userns"]
    # root: no user namespace (the kernel's uid is a real, unprivileged one); bwrap keeps
    # just the capabilities that setpriv needs to drop to that uid, and setpriv drops them.
    caps = ["CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]
    return [*spaces, *(x for cap in caps for x in ("--cap-add", cap))]


def _drop_to(uid: int) -> list[str]:
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
    ]


def _system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{name}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{name}"]
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in ("ld.so.cache", "localtime", "alternatives", "fonts"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return [*args, "--proc", "/proc", "--dev", "/dev"]


def _parents(path: str, made: set[str]) -> list[str]:
    """``--dir`` options for the missing parents of ``path`` (bwrap would make them 0700)."""
    args: list[str] = []
    for parent in reversed(Path(path).parents):
        name = str(parent)
        if name not in made and not name.startswith("/usr/"):
            args += ["--perms", "0755", "--dir", name]
            made.add(name)
    return args


@lru_cache(maxsize=1)
def python_paths() -> list[str]:
    """Folders of the Python environment the kernel needs, outside ``/usr``.

    The interpreter's own ``sys.path`` in isolated mode (no working folder, no
    ``PYTHONPATH``: the standard library, site-packages and editable installs), its
    prefixes and its executable's folder; entries inside another entry are left out.
    """
    probe = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, *sys.path]))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    found = [*json.loads(out.stdout), str(Path(sys.executable).parent)]
    real = {str(Path(p).resolve()) for p in found if p and Path(p).exists()}
    real |= {str(Path(p).absolute()) for p in found if p and Path(p).exists()}
    kept = sorted(p for p in real if p != "/usr" and not p.startswith("/usr/"))
    return [p for p in kept if not any(Path(q) in Path(p).parents for q in kept)]


def availability(bwrap: str = BWRAP) -> str | None:
    """Why sandboxed grading cannot run here, or None if it can.

    Runs ``true`` in a minimal sandbox with the namespaces grading uses.
    """
    needed = [bwrap] + (["setpriv"] if os.geteuid() == 0 else []) + ["prlimit"]
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        return f"not installed: {', '.join(missing)} (Debian: apt-get install bubblewrap)"
    uid = UID_BASE if os.geteuid() == 0 else None
    argv = [bwrap, *_namespaces(uid), "--die-with-parent", *_system_mounts(), "--"]
    argv += [*(_drop_to(uid) if uid is not None else []), "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not run: {error}"
    if proc.returncode != 0:
        return f"bubblewrap could not run: {proc.stderr.strip()[:300]}"
    return None


class UidLease:
    """An unprivileged uid that no other running sandbox on this machine uses.

    Held through an ``flock`` on ``LOCK_DIR/<uid>``, so that parallel graders (other
    processes) never share a uid while a sandbox runs, and a uid is skipped while any
    process still runs as it.
    """

    def __init__(self, base: int = UID_BASE, count: int = UID_COUNT, lock_dir: Path = LOCK_DIR):
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        self.base, self.count, self.lock_dir = base, count, lock_dir
        self.uid: int | None = None
        self._fd: int | None = None

    def acquire(self) -> int:
        """Take a free uid and return it.

        Raises:
            SandboxError: If every uid in the range is in use.
        """
        self.lock_dir.mkdir(mode=0o700, exist_ok=True)
        busy = _uids_in_use()
        for uid in range(self.base, self.base + self.count):
            if uid in busy:
                continue
            fd = os.open(self.lock_dir / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self.uid, self._fd = uid, fd
            return uid
        raise SandboxError(f"all {self.count} sandbox uids from {self.base} are in use")

    def release(self) -> None:
        """Give the uid back."""
        if self._fd is not None:
            os.close(self._fd)
        self.uid, self._fd = None, None


def _uids_in_use() -> set[int]:
    uids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                uids.add(entry.stat().st_uid)
            except OSError:
                continue
    return uids


__all__ = [
    "KERNEL_ENV",
    "Limits",
    "Sandbox",
    "SandboxError",
    "UidLease",
    "availability",
    "python_paths",
]

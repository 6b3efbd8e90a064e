"""Unix users for the isolation test: created with ``useradd``, removed with ``userdel``.

Each user gets a home folder of its own (mode 0700) under the test's temporary folder and a
group of its own. Creating users needs root; :func:`unix_users_unavailable` says why a test
cannot run. Their servers must run a Python interpreter that every user may execute: when
the test's own interpreter lives where other users cannot reach it (a pyenv build in root's
home, say), :func:`python_for` builds a small virtual environment on a system interpreter of
the same version that loads this project's packages from the test's environment.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "mt"  # user names: mt<4 hex><role>, short and unlikely to exist


def unix_users_unavailable() -> str | None:
    """Why this process cannot create Unix users and run servers as them, or None."""
    if not sys.platform.startswith("linux"):
        return "Unix users are created with Linux's useradd"
    if os.geteuid() != 0:
        return "creating Unix users (useradd) and starting servers as them needs root"
    missing = [tool for tool in ("useradd", "userdel") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (package passwd)"
    return None


@contextlib.contextmanager
def unix_users(homes: Path, roles: list[str]) -> Iterator[dict[str, pwd.struct_passwd]]:
    """Create one Unix user per role (home ``homes/<name>``); remove them all at the end.

    Yields:
        ``{role: passwd entry}``.
    """
    token = secrets.token_hex(2)
    created: dict[str, pwd.struct_passwd] = {}
    try:
        for role in roles:
            name = f"{PREFIX}{token}{role}"
            home = homes / name
            subprocess.run(
                ["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                 "--user-group", name],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
            created[role] = entry = pwd.getpwnam(name)
            home.mkdir(parents=True, mode=0o700)
            os.chown(home, entry.pw_uid, entry.pw_gid)
        yield created
    finally:
        for entry in created.values():
            stop_processes_of(entry.pw_uid)
            subprocess.run(["userdel", entry.pw_name], capture_output=True, timeout=30)


def processes_of(uid: int) -> list[int]:
    """Pids of the processes running as ``uid`` (read from ``/proc``)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        real = next((line.split()[1] for line in lines if line.startswith("Uid:")), None)
        if real == str(uid):
            found.append(int(status.parent.name))
    return found


def stop_processes_of(uid: int, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL, every process still running as ``uid``."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in processes_of(uid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.1)


def run_as(
    user: pwd.struct_passwd, cmd: list[str], *, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run ``cmd`` as ``user`` (its uid, its own group only), from its home."""
    base = {"HOME": user.pw_dir, "USER": user.pw_name, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        cmd,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        cwd=user.pw_dir,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_PREFIX = "import sys; print(sys.base_prefix)"


@contextlib.contextmanager
def enterable(path: Path) -> Iterator[None]:
    """Let every user pass through ``path`` and the folders above it while the block runs.

    Adds the execute bit for others (no read bit: nothing can be listed) where it is
    missing, as on ``/root`` when the interpreter lives under it, and restores every mode.
    """
    changed = []
    for folder in [*reversed(path.parents), path]:
        mode = stat.S_IMODE(folder.stat().st_mode)
        if not mode & stat.S_IXOTH:
            folder.chmod(mode | stat.S_IXOTH)
            changed.append((folder, mode))
    try:
        yield
    finally:
        for folder, mode in reversed(changed):
            folder.chmod(mode)


def _runs_project(python: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` can run ``python`` with this project, on the interpreter's own stdlib.

    An interpreter under a folder the user may not enter (``/root``) may still start, then
    fall back to another installation's standard library: a mix that breaks ``re``.
    """
    code = f"import mesatoys, jupyterhub; {_PREFIX}"
    try:
        result = run_as(user, [str(python), "-c", code], timeout=60)
        own = subprocess.run(
            [str(python), "-c", _PREFIX], capture_output=True, text=True, timeout=60
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == own.stdout.strip()


def python_for(user: pwd.struct_passwd, workdir: Path) -> Path | None:
    """A Python interpreter with this project's packages that ``user`` may run, or None.

    The test's own interpreter if the user may run it; else a virtual environment in
    ``workdir`` on a system interpreter of the same version, whose ``.pth`` file adds this
    environment's site-packages, whose ``bin/`` holds this environment's scripts
    (``nbgrader``, ``alembic``...) pointed at it, and whose Jupyter config and data are this
    environment's.
    """
    if _runs_project(Path(sys.executable), user):
        return Path(sys.executable)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for base in (Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        if base.exists():
            bridge = _bridge(base, workdir)
            if _runs_project(bridge, user):
                return bridge
    return None


def _bridge(base: Path, workdir: Path) -> Path:
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(workdir)], check=True, timeout=60)
    python = workdir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    ours = subprocess.run(
        [sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "zz-mesatoys-test.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    for script in Path(sys.executable).parent.iterdir():
        _repoint(script, workdir / "bin", python)
    # Jupyter's own config and data (enabled extensions, JupyterLab's pages) live under the
    # environment's prefix: share this environment's.
    for shared in ("etc/jupyter", "share/jupyter"):
        (workdir / shared).parent.mkdir(parents=True, exist_ok=True)
        (workdir / shared).symlink_to(Path(sys.prefix) / shared)
    return python


def _repoint(script: Path, bin_dir: Path, python: Path) -> None:
    """Copy a console script of this environment into ``bin_dir``, run by ``python``."""
    target = bin_dir / script.name
    if target.exists() or script.is_dir() or not os.access(script, os.X_OK):
        return
    try:
        first, rest = script.read_text(encoding="utf-8").split("\n", 1)
    except (UnicodeDecodeError, ValueError):
        return
    if first.startswith("#!") and "python" in first:
        target.write_text(f"#!{python}\n{rest}", encoding="utf-8")
        target.chmod(0o755)

"""A Jupyter kernel manager whose kernels run in the grading sandbox.

:class:`SandboxedKernelManager` is jupyter_client's ``AsyncKernelManager`` with four
changes, so that nbclient (and so nbgrader's ``Execute``) can use it unchanged:

- the kernel's command is always this interpreter's ``ipykernel_launcher``, wrapped by
  :meth:`mesatoys.grading.sandbox.Sandbox.command`;
- interrupts are sent as ``interrupt_request`` messages on the control channel (a signal
  to the sandbox's process does not reach the kernel in its own PID namespace);
- the ZeroMQ transport is ``ipc``: the sockets and the connection file live in a private
  runtime folder that is bound into the sandbox (a kernel without a network cannot reach
  the host's 127.0.0.1);
- the working folder nbclient asks for is copied, without its notebooks (the autograded
  notebook holds the hidden tests), into a private folder that the sandbox copies into the
  kernel's size-limited home. Nothing the kernel writes comes back.

The clients it makes refuse any ZeroMQ message larger than ``max_message_bytes``, so a
kernel cannot make the grader hold a gigabyte of output.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.session import Session
from traitlets import Instance, Integer

from mesatoys.grading.sandbox import Sandbox, UidLease

KERNEL_ARGV = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


class SandboxedKernelManager(AsyncKernelManager):
    """Starts every kernel in the grading sandbox (see the module docstring)."""

    sandbox = Instance(Sandbox, args=(), help="The sandbox kernels run in.")
    max_message_bytes = Integer(
        256 * 1024 * 1024, help="Largest ZeroMQ message accepted from the kernel."
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._workdir: Path | None = None
        self._lease: UidLease | None = None
        self._log = None

    async def _async_pre_start_kernel(self, **kw):
        """Prepare the runtime folder, the submission copy and the sandboxed command."""
        workdir = Path(tempfile.mkdtemp(prefix="mesatoys-kernel-"))
        self._workdir = workdir
        runtime, submission = workdir / "run", workdir / "submission"
        runtime.mkdir()
        _copy_submission(kw.pop("cwd", None), submission)
        uid = self._lease_uid()
        self.transport = "ipc"
        self.ip = str(runtime / "kernel")
        self.connection_file = str(runtime / "connection.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        # A signal to the sandbox's process group does not reach the kernel inside its own
        # PID namespace; ipykernel interrupts itself on an interrupt_request message.
        self.kernel_spec.interrupt_mode = "message"
        if uid is not None:
            for path in (runtime, Path(self.connection_file)):
                os.chown(path, uid, uid)
        os.chmod(workdir, 0o755)
        command = self.sandbox.command(kernel_cmd, runtime, submission, uid)
        kw.update(cwd=str(workdir), env={"PATH": os.environ.get("PATH", os.defpath)})
        self._log = open(workdir / "sandbox.log", "ab")  # noqa: SIM115 (closed in cleanup)
        kw.update(stdout=self._log, stderr=self._log)
        return command, kw

    def _lease_uid(self) -> int | None:
        if os.geteuid() != 0:
            return None
        self._lease = UidLease()
        return self._lease.acquire()

    def format_kernel_cmd(self, extra_arguments=None):
        """The kernel's own command line (before the sandbox wraps it)."""
        argv = [*KERNEL_ARGV, *(extra_arguments or [])]
        connection = os.path.realpath(self.connection_file)
        return [arg.replace("{connection_file}", connection) for arg in argv]

    def client(self, **kwargs):
        """An async client whose sockets refuse oversized messages."""
        kwargs.setdefault("context", self._limited_context(zmq.asyncio.Context))
        return super().client(**kwargs)

    def blocking_client(self) -> BlockingKernelClient:
        """A blocking client (used by hidden tests) whose sockets refuse oversized messages."""
        info = self.get_connection_info(session=False)
        # A session of its own (same key): a second client with the first one's identity
        # would take over the replies meant for nbclient.
        session = Session(key=self.session.key, signature_scheme=self.session.signature_scheme)
        info.pop("key", None)
        info.pop("signature_scheme", None)
        return BlockingKernelClient(
            parent=self,
            context=self._limited_context(zmq.Context),
            session=session,
            connection_file=self.connection_file,
            **info,
        )

    def _limited_context(self, kind):
        context = kind()
        context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        return context

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        """Remove the runtime folder and the submission copy; give the uid back."""
        await super()._async_cleanup_resources(restart=restart)
        self._remove_workdir()

    cleanup_resources = _async_cleanup_resources

    def _remove_workdir(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None


def _copy_submission(cwd: str | None, dest: Path) -> None:
    """Copy the submission folder's regular files, but no notebook, hidden file or link.

    The autograded notebook in that folder holds the hidden tests; a link could point
    anywhere the grader can read.
    """
    dest.mkdir()
    if cwd is None:
        return
    root = Path(cwd)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or path.suffix == ".ipynb":
            continue
        if path.is_symlink() or any(p.is_symlink() for p in path.parents if root in p.parents):
            continue
        if path.is_dir():
            (dest / relative).mkdir(exist_ok=True)
        elif path.is_file():
            (dest / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / relative, follow_symlinks=False)


__all__ = ["KERNEL_ARGV", "SandboxedKernelManager"]

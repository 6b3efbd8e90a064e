"""The grader's side of a hidden test's request: one expression in, plain data out.

:class:`KernelProbe` sends each expression a hidden test builds
(:mod:`mesatoys.grading.hidden`) to the student's kernel as a *user expression* of a
silent, unrecorded execute request: it runs in the student's namespace but enters no
history (``In``, ``_ih``) and prints nothing into the notebook. The reply's
``text/plain`` is decoded by :func:`mesatoys.grading.plain.decode`; nothing else of the
reply is used, except the name of an exception the student's code raised.

A request that gets no reply in time is interrupted; a kernel that still does not answer
is reported as lost, and the executor shuts it down.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from queue import Empty

from mesatoys.grading.hidden import ProbeError
from mesatoys.grading.plain import Limits, Plain, PlainDataError, decode

INTERRUPT_GRACE = 5.0
"""Seconds a kernel has to answer after an interrupt before it counts as lost."""


class KernelProbe:
    """Asks one running kernel for plain data (see the module docstring).

    Args:
        client: A started blocking kernel client (shell channel only).
        time_left: Seconds the next request may take (the executor's budget).
        interrupt: Interrupts the kernel.
        alive: Whether the kernel process still runs.
        limits: Size limits of one answer.
    """

    def __init__(
        self,
        client,
        time_left: Callable[[], float],
        interrupt: Callable[[], None],
        alive: Callable[[], bool],
        limits: Limits | None = None,
    ):
        self.client, self.time_left = client, time_left
        self.interrupt, self.alive = interrupt, alive
        self.limits = limits or Limits()
        self.requests = 0

    def evaluate(self, expression: str) -> Plain:
        """Evaluate ``expression`` (it returns ``plain.JSONText``) in the kernel; decode it.

        Raises:
            ProbeError: If the kernel raised, answered with anything but plain data, or did
                not answer in time.
        """
        self.requests += 1
        msg_id = self.client.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={"answer": expression},
            allow_stdin=False,
            stop_on_error=False,
        )
        content = self._reply(msg_id).get("content", {})
        answer = (content.get("user_expressions") or {}).get("answer")
        if content.get("status") != "ok" or not isinstance(answer, dict):
            raise ProbeError("the kernel did not run the request")
        if answer.get("status") != "ok":
            raise ProbeError(f"it raised {_exception_name(answer.get('ename'))}")
        data = answer.get("data")
        try:
            return decode(data.get("text/plain") if isinstance(data, dict) else None, self.limits)
        except PlainDataError as error:
            raise ProbeError(f"the result is not plain data ({error})") from None

    def _reply(self, msg_id: str) -> dict:
        reply = self._wait(msg_id, max(self.time_left(), 0.0))
        if reply is not None:
            return reply
        self.interrupt()
        if self._wait(msg_id, INTERRUPT_GRACE) is not None:
            raise ProbeError("it ran out of time")
        raise ProbeError("the kernel stopped answering", kernel_lost=True)

    def _wait(self, msg_id: str, seconds: float) -> dict | None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.client.get_shell_msg(timeout=min(left, 1.0))
            except Empty:
                if not self.alive():
                    raise ProbeError("the kernel died", kernel_lost=True) from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None


def _exception_name(name: object) -> str:
    """The exception's class name as the kernel gave it, if it looks like one."""
    if isinstance(name, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]{0,60}", name):
        return name
    return "an exception"


__all__ = ["INTERRUPT_GRACE", "KernelProbe"]

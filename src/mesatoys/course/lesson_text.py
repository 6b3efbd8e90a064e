r"""The lesson's text: the course notebooks' markdown read into sections and sentences.

Each notebook's markdown cells are parsed with ``markdown-it-py`` (CommonMark with tables)
and split into :class:`Passage` objects at their ``#``, ``##`` and ``###`` headings. A
passage keeps its markdown (for a model to read) and its *blocks*: the paragraphs, list
items and table rows as plain text, with code, display math and HTML left out. Sentences
are split on ``.``, ``!`` or ``?`` followed by a capital, never after "et al.", "e.g." and
the like.

Sections headed "References" (they list sources) and "Exercise: ..." (they are tasks, not
lesson text) are left out.

Example:
    >>> [p.section for p in passages_of("01_x.ipynb", ["## 1. Gardens\n\nWater them."])]
    ['1. Gardens']
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

#: Headings whose passages are left out: reference lists name sources.
SKIPPED_HEADINGS = ("references",)
#: Sections whose heading starts so are tasks (coding exercises), not lesson text.
SKIPPED_PREFIXES = ("exercise:",)
#: Headings at these levels start a new passage; deeper ones stay inside their section.
PASSAGE_LEVELS = (1, 2, 3)

_PARSER = MarkdownIt("commonmark").enable("table")
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_MATH_WORD = re.compile(r"\\(?:text|mathrm|mathbb|operatorname)\{([^}]*)\}")
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+)")
_INLINE_HTML = {"<sup>": "^", "<br>": " ", "<br/>": " ", "<br />": " "}


@dataclass(frozen=True)
class Block:
    """A paragraph, list item or table row of a section, as plain text.

    Attributes:
        kind: ``"para"``, ``"item"`` or ``"row"`` (a table row, read "first cell: the others.").
        text: The block's text.
    """

    kind: str
    text: str

    def sentences(self) -> list[str]:
        """The block's sentences, in order."""
        return sentences(self.text)


@dataclass(frozen=True)
class Passage:
    """One section of a notebook's text.

    Attributes:
        notebook: The notebook's file name, e.g. ``03_inner_alignment.ipynb``.
        section: The section's heading, as it reads in the notebook (markdown removed).
        level: The heading level: 1 (``#``, the notebook's title), 2 or 3.
        markdown: The section's markdown (its heading excluded).
        parent: The heading of the enclosing ``##`` section of a ``###`` one, else None.
        blocks: The section's paragraphs, list items and table rows as plain text.
        links: The targets of the section's links, in order.
    """

    notebook: str
    section: str
    level: int
    markdown: str
    parent: str | None = None
    blocks: tuple[Block, ...] = ()
    links: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """The heading's anchor in JupyterLab: its text with spaces replaced by ``-``."""
        anchor = self.section.replace(" ", "-")
        return "".join(f"%{ord(c):02X}" if c in "()<>%[]" else c for c in anchor)

    @property
    def link(self) -> str:
        """A link to the section, relative to the notebooks folder."""
        return f"{self.notebook}#{self.anchor}"

    @property
    def text(self) -> str:
        """The section's plain text: its blocks, one per line."""
        return "\n".join(b.text for b in self.blocks)


# --- inline markdown into plain text --------------------------------------------------------------


def _math_to_text(text: str) -> str:
    r"""Inline math as words: ``$\alpha = 0$`` -> ``alpha = 0``; display math removed."""
    text = _DISPLAY_MATH.sub(" ", text)
    text = _MATH_WORD.sub(r"\1", text)
    return _MATH_COMMAND.sub(r"\1", text).replace("$", "")


def _inline_text(children: Sequence[Token]) -> str:
    """The plain text of an inline token's children: marks, link targets and HTML removed."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "html_inline":
            parts.append(_INLINE_HTML.get(child.content.lower(), ""))
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return re.sub(r"\s+", " ", html.unescape(_math_to_text("".join(parts)))).strip()


def plain(markdown: str) -> str:
    """Inline markdown as plain text: links, emphasis, code marks, math marks and HTML removed."""
    tokens = _PARSER.parseInline(markdown.replace("\n", " "))
    return _inline_text(tokens[0].children or []) if tokens else ""


# --- sentences -----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(*])")
_NO_BREAK_AFTER = ("et al.", "e.g.", "i.e.", "vs.", "cf.", "approx.", "Fig.", "Eq.", "No.")


def sentences(text: str) -> list[str]:
    """Split plain text into sentences (not after "et al.", "e.g." and the like)."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if parts and parts[-1].endswith(_NO_BREAK_AFTER):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p.strip() for p in parts if p.strip()]


# --- notebooks into passages ---------------------------------------------------------------------


@dataclass
class _Open:
    """The section being read: its heading and what has been read of it so far."""

    heading: str
    level: int
    parent: str | None
    lines: list[str]
    blocks: list[Block]
    links: list[str]


def _table_row(cells: list[str]) -> Block | None:
    head, rest = cells[0], "; ".join(c for c in cells[1:] if c)
    if not (head or rest):
        return None
    return Block("row", f"{head}: {rest}." if head and rest else head or rest)


def _read_blocks(tokens: Sequence[Token], section: _Open) -> None:
    """Add the blocks and links of ``tokens`` (one run between headings) to ``section``."""
    items = 0
    in_head = False
    row: list[str] | None = None
    for token in tokens:
        kind = token.type
        if kind == "list_item_open":
            items += 1
        elif kind == "list_item_close":
            items -= 1
        elif kind in ("thead_open", "thead_close"):
            in_head = kind == "thead_open"
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            block = None if in_head else _table_row(row)
            if block:
                section.blocks.append(block)
            row = None
        elif kind == "inline":
            children = token.children or []
            section.links += [c.attrs["href"] for c in children if c.type == "link_open"]
            text = _inline_text(children)
            if row is not None:
                row.append(text)
            elif text:
                section.blocks.append(Block("item" if items else "para", text))


def _keeps(heading: str) -> bool:
    name = heading.lower()
    return name not in SKIPPED_HEADINGS and not name.startswith(SKIPPED_PREFIXES)


def passages_of(notebook: str, cells: Sequence[str]) -> list[Passage]:
    """Split a notebook's markdown cells into passages at their #, ## and ### headings.

    Text before the first heading belongs to a passage named after the notebook. Lines that
    only look like headings inside code blocks are not headings.

    Args:
        notebook: The notebook's file name.
        cells: The source of each markdown cell, in order.
    """
    found: list[Passage] = []
    section = _Open(Path(notebook).stem, 1, None, [], [], [])
    h2: str | None = None

    def close(current: _Open) -> None:
        markdown = "\n".join(current.lines).strip()
        if markdown and _keeps(current.heading):
            found.append(
                Passage(
                    notebook,
                    current.heading,
                    current.level,
                    markdown,
                    current.parent,
                    tuple(current.blocks),
                    tuple(current.links),
                )
            )

    for cell in cells:
        lines = cell.splitlines()
        tokens = _PARSER.parse(cell)
        start_line, start_token = 0, 0
        for index, token in enumerate(tokens):
            level = int(token.tag[1]) if token.type == "heading_open" else 0
            if level not in PASSAGE_LEVELS or token.level != 0:
                continue
            first, last = token.map or (start_line, start_line + 1)
            section.lines += [*lines[start_line:first], ""]
            _read_blocks(tokens[start_token:index], section)
            close(section)
            heading = _inline_text(tokens[index + 1].children or [])
            h2 = heading if level <= 2 else h2
            section = _Open(heading, level, h2 if level == 3 else None, [], [], [])
            start_line, start_token = last, index + 3
        section.lines += [*lines[start_line:], ""]
        _read_blocks(tokens[start_token:], section)
    close(section)
    return found


def read_notebook(path: Path) -> list[Passage]:
    """The passages of one notebook file.

    Raises:
        ValueError: If the file is not a readable notebook.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = [
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in data["cells"]
            if c.get("cell_type") == "markdown"
        ]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"cannot read the notebook {path}: {err}") from err
    return passages_of(path.name, cells)


def find_notebooks_dir() -> Path:
    """The course's notebooks folder: beside the package's source tree, or the current folder.

    Raises:
        FileNotFoundError: If no folder with the course notebooks can be found.
    """
    import mesatoys

    here = Path(mesatoys.__file__).resolve().parent
    candidates = [parent / "notebooks" for parent in here.parents]
    cwd = Path.cwd()
    candidates += [cwd, cwd / "notebooks", cwd.parent / "notebooks"]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("[0-9][0-9]_*.ipynb")):
            return folder
    raise FileNotFoundError(
        "The tutor could not find the course notebooks (a folder of 01_*.ipynb, 02_*.ipynb, ...). "
        f"It looked beside the mesatoys package ({here}) and in the current folder ({cwd}). "
        "Pass the folder that holds them: Tutor(notebooks_dir='path/to/notebooks')."
    )


def check_notebooks_dir(notebooks_dir: object) -> Path:
    """``notebooks_dir`` as a Path to an existing folder.

    Raises:
        TypeError: If it is not a path.
        ValueError: If it is not an existing folder.
    """
    if not isinstance(notebooks_dir, (str, os.PathLike)):
        raise TypeError(f"notebooks_dir must be a path or None, got {notebooks_dir!r}")
    folder = Path(notebooks_dir)
    if not folder.is_dir():
        raise ValueError(f"notebooks_dir must be an existing folder, got {str(folder)!r}")
    return folder


def read_lesson(folder: Path) -> list[Passage]:
    """Every passage of the notebooks in ``folder``, in course (file name) order.

    Raises:
        ValueError: If the folder holds no notebook, or one cannot be read.
    """
    files = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not files:
        raise ValueError(f"notebooks_dir holds no .ipynb notebook: {str(folder)!r}")
    return [p for path in files for p in read_notebook(path)]


__all__ = [
    "Block",
    "Passage",
    "check_notebooks_dir",
    "find_notebooks_dir",
    "passages_of",
    "plain",
    "read_lesson",
    "read_notebook",
    "sentences",
]

"""Checks that a figure or a widget's picture has a text alternative worth reading."""

from __future__ import annotations

import html
import re

from mesatoys.display import DataTable, alt_text

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Alt texts that say nothing of what a figure shows.
_GENERIC = re.compile(r"(figure|fig\.|plot|chart|image|picture|graph)\s*\d*\.?", re.IGNORECASE)


def check_alt(alt: str | None, *numbers: str) -> str:
    """Assert ``alt`` is a real description holding every one of ``numbers``; return it."""
    assert isinstance(alt, str), f"no alt text: {alt!r}"
    assert alt == " ".join(alt.split()) and alt.strip(), f"alt text not normalised: {alt!r}"
    assert not _GENERIC.fullmatch(alt.strip()), f"generic alt text: {alt!r}"
    assert len(alt.split()) >= 12, f"too short to say what the figure shows: {alt!r}"
    assert re.search(r"\d", alt), f"no number of the result in the alt text: {alt!r}"
    for number in numbers:
        assert number in alt, f"{number!r} not in the alt text: {alt!r}"
    return alt


def check_table(data: DataTable | None, most_rows: int = 30) -> DataTable:
    """Assert a figure's numbers are a table: headings, and as many cells a row as headings."""
    assert isinstance(data, DataTable), f"no table of numbers: {data!r}"
    assert data.columns and all(isinstance(c, str) and c for c in data.columns)
    assert 0 < len(data.rows) <= most_rows, f"{len(data.rows)} rows"
    for row in data.rows:
        assert len(row) == len(data.columns), (data.columns, row)
    assert data.html().count("</th>") == len(data.columns)
    return data


def described(fig, *numbers: str, data: bool | None = None) -> str:
    """Assert ``fig`` went through ``describe`` with an alt holding ``numbers``; return the alt.

    Args:
        fig: The figure.
        numbers: Text that must appear in the alt (numbers as the figure formats them).
        data: True: it must carry a table of numbers; False: it must not (a picture of a
            grid); None: either.
    """
    alt = check_alt(alt_text(fig), *numbers)
    table = getattr(fig, "mesatoys_data", None)
    if data is True or (data is None and table is not None):
        check_table(table)
    if data is False:
        assert table is None, table
    return alt


def shown(picture, *numbers: str) -> str:
    """Assert a widget's picture is PNG bytes shown with an alt holding ``numbers``."""
    assert picture.png.startswith(PNG_MAGIC)
    alt = check_alt(picture.alt, *numbers)
    value = picture.widget.value
    assert value.startswith("<img ") and "data:image/png;base64," in value
    assert f'alt="{html.escape(alt, quote=True)}"' in value
    return alt

"""Markdown notes -> links with their taxonomy (pure: text in, ParsedNote out).

A note is a Jekyll post: front matter (title, category, tags), then headings that form
a taxonomy, and under them links in a few habitual shapes::

    官网：                         <- a label line: says what the next link is
    https://mp.weixin.qq.com/s/…   <- a URL line
    显存不足？PyTorch显存使用分析与优化   <- the short line after it: its title

A longer prose paragraph after a URL line is its description instead. A Markdown
link's text is its title. URLs inside code (fenced, indented or inline) are never
links; images are not links. The parser is markdown-it, so a ``# comment`` in a code
block is never a heading.

The work is split by concern: ``decoding`` reads a note file's bytes as text,
``frontmatter`` reads the Jekyll header, ``rows`` turns
the Markdown into rows of text and links, ``placing`` gives each link its title,
description, label and topic.
"""

from __future__ import annotations

from pathlib import PurePath

from linkindex.models.notes import Note, ParsedNote
from linkindex.notes.frontmatter import JEKYLL_DATE, front_matter, note_date, strings
from linkindex.notes.placing import (
    DESCRIPTION_MIN_CHARS,
    LABEL_MAX_CHARS,
    PROSE_MIN_CHARS,
    Placer,
)
from linkindex.notes.rows import read_rows
from linkindex.printable import printable

__all__ = ["DESCRIPTION_MIN_CHARS", "LABEL_MAX_CHARS", "PROSE_MIN_CHARS", "parse_note"]


def parse_note(text: str, path: str) -> ParsedNote:
    """Parse one note's Markdown into its Note, links (with placements) and headings.

    ``path`` is recorded on the note and every placement; the date falls back to a
    Jekyll file name (``2018-3-1-name.markdown`` -> ``2018-03-01``). Control characters,
    terminal escapes and noncharacters are taken out first (``printable``: a space or a line
    end in their place), so no title, description or heading carries them.
    """
    # Unfit characters become spaces or line ends, not nothing: deleting a bell between
    # two URLs would glue them into one link.
    text = printable(text.lstrip("\ufeff"), separate=True)  # also makes every line end a "\n"
    fields, body, offset = front_matter(text)
    rows, skipped, warnings = read_rows(body, offset)
    placer = Placer(path, rows)
    placer.run()

    title = fields.get("title")
    if not isinstance(title, str) or not title.strip():
        top = next((t for t in placer.headings if len(t) == 1), None)
        title = top[0] if top else JEKYLL_DATE.sub("", PurePath(path).stem)
    category = fields.get("category")
    if not isinstance(category, str) or not category.strip():
        categories = strings(fields.get("categories"))
        category = categories[0] if categories else ""
    note = Note(
        path=path,
        title=" ".join(title.split()),
        category=category.strip(),
        tags=strings(fields.get("tags")),
        date=note_date(fields, path),
    )
    return ParsedNote(
        note=note,
        links=placer.links,
        headings=placer.headings,
        skipped=skipped,
        warnings=warnings,
    )

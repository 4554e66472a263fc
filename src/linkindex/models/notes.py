"""What the notes parser finds: a note, where each link stands in it, and what it says.

Plain data (``linkindex.models``); kept apart from the package's own module so that a
process that never reads notes (``linkindex search``) does not build these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Note:
    """One Markdown file of the user's notes."""

    path: str  # absolute path as imported
    title: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    date: str | None = None  # YYYY-MM-DD, from front matter or the Jekyll file name


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a link stands in the notes and what the notes say about it."""

    note_path: str
    line: int  # 1-based line of the URL in the note
    topic: tuple[str, ...] = ()  # heading path, outermost first
    title: str = ""  # the title the note gives the link
    description: str = ""  # a longer prose paragraph about it
    label: str = ""  # a label line before the URL such as 官网 / 代码 / 参考


@dataclass(frozen=True, slots=True)
class NoteLink:
    """A link as the notes parser found it: the URL as written and its placement."""

    url: str
    placement: Placement


@dataclass(slots=True)
class ParsedNote:
    """The notes parser's result for one file."""

    note: Note
    links: list[NoteLink] = field(default_factory=list)
    headings: list[tuple[str, ...]] = field(default_factory=list)  # every heading path seen
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (mailto, malformed…)
    warnings: list[str] = field(default_factory=list)  # what could not be read as Markdown

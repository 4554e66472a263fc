"""Commands: ``linkindex import``, ``linkindex topics``, ``linkindex stats``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from linkindex.cli.common import HomeOption, JsonOption, command, human_size, notes_kept
from linkindex.cli.running import echo_json, interrupted, open_store, resolve_home, say
from linkindex.errors import EmptyLibraryError, UserError

if TYPE_CHECKING:
    from linkindex.importer import ImportSummary
    from linkindex.store import Store
    from linkindex.topics import TopicNode

EMPTY_HINT = "the library has no notes yet; fill it with `linkindex import NOTES_DIR`"


@command("import", kept="the notes imported before the stop are kept")
def import_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Note folders (read recursively for .md/.markdown) or Markdown files.",
            metavar="PATH",
            show_default=False,
        ),
    ],
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Import Markdown notes: every link with its topic, title and description.

    Folders are read recursively for .md and .markdown files; a file named here is read
    as Markdown whatever its extension. Importing again is fast: unchanged files are
    skipped, changed notes replace their links, and links gone from the notes are marked
    removed (their history is kept). Files that cannot be read are listed and skipped.

    Example:

        linkindex import ~/blog/_posts notes/reading-list.txt
    """
    from linkindex.importer import import_notes, resolve_paths
    from linkindex.store import LibraryLock

    roots = resolve_paths(paths)
    library = resolve_home(home)
    with LibraryLock(library), open_store(library, create=True) as store:
        summary = import_notes(store, library, roots)
    if summary.interrupted:
        _show(summary, as_json)
        interrupted(notes_kept(summary.to_dict()))
    if not (summary.notes_read or summary.notes_unchanged or summary.notes_failed) and not (
        summary.notes_removed
    ):
        raise UserError(
            f"no Markdown notes (.md, .markdown) in {', '.join(summary.roots)}; "
            "name the folder that holds your notes, or a note file"
        )
    _show(summary, as_json)
    if summary.notes_failed and not (
        summary.notes_read or summary.notes_unchanged or summary.notes_removed
    ):
        raise UserError(
            f"none of the {summary.notes_failed} note files could be imported (see the "
            "warnings above); convert them to UTF-8 Markdown, or name other files"
        )


def _show(summary: ImportSummary, as_json: bool) -> None:
    """The summary on stdout (lines or JSON), its warnings on stderr."""
    if as_json:
        echo_json(summary.to_dict())
    else:
        for line in summary_lines(summary):
            say(line)
        if summary.indexed is not None:
            say(f"index: {summary.indexed} links written")
    for warning in summary.warnings:
        say(f"warning: {warning}", err=True)


def summary_lines(summary: ImportSummary) -> list[str]:
    """An import summary as plain, stable lines."""
    lines = [
        f"notes: {summary.notes_read} read, {summary.notes_unchanged} unchanged, "
        f"{summary.notes_failed} failed, {summary.notes_removed} removed",
        f"links: {summary.links_new} new, {summary.links_updated} updated, "
        f"{summary.links_removed} removed, {summary.links_restored} restored "
        f"({summary.placements} placements written)",
    ]
    if summary.skipped:
        skipped = ", ".join(
            f"{reason} {count}" for reason, count in sorted(summary.skipped.items())
        )
        lines.append(f"skipped links: {skipped}")
    return lines


@command("topics")
def topics_command(
    depth: Annotated[
        int | None,
        typer.Option("--depth", min=1, help="Show only this many heading levels."),
    ] = None,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Show the topic tree: every note's headings merged, with link counts.

    Each line is a heading, indented under its parent, and the number of distinct links
    at or under it. Use a path from here with `--topic "A > B"` in other commands.

    Example:

        linkindex topics --depth 2
    """
    with _open_filled(home) as store:
        tree = store.topic_tree()
    if as_json:
        echo_json([node.to_dict() for node in tree])
        return
    for line in topic_lines(tree, depth=depth):
        say(line)


def topic_lines(
    nodes: list[TopicNode[Any]], *, depth: int | None = None, level: int = 0
) -> list[str]:
    """The tree as indented lines: ``  name  count``."""
    lines: list[str] = []
    for node in nodes:
        lines.append(f"{'  ' * level}{node.name}  {node.links}")
        if depth is None or level + 1 < depth:
            lines.extend(topic_lines(node.children, depth=depth, level=level + 1))
    return lines


@command("stats")
def stats_command(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Show what the library holds: notes, links by site and status, pages by engine.

    Example:

        linkindex stats --json
    """
    with _open_filled(home) as store:
        stats = {**store.library_stats(), **store.image_stats()}
    if as_json:
        echo_json(stats)
        return
    for line in stats_lines(stats):
        say(line)


def stats_lines(stats: dict[str, Any]) -> list[str]:
    """Library stats as plain lines."""

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{key} {value}" for key, value in values.items()) or "-"

    return [
        f"notes:       {stats['notes']} ({stats['notes_removed']} removed)",
        f"links:       {stats['links']} ({stats['links_removed']} removed)",
        f"placements:  {stats['placements']}",
        f"topics:      {stats['topics']}",
        f"by site:     {counts(stats['by_site'])}",
        f"by status:   {counts(stats['by_status'])}",
        f"fetched by:  {counts(stats['pages_by_engine'])}",
        f"images:      {stats['images']} ({human_size(stats['image_bytes'])}), "
        f"shown by {stats['figures']} figures",
        f"roots:       {', '.join(stats['roots']) or '-'}",
        f"last import: {stats['last_import'] or '-'}",
    ]


def _open_filled(home: Path | None) -> Store:
    """The store, or EmptyLibraryError (exit 1, with how to fill it) when it has no notes."""
    try:
        store = open_store(home, create=False)
    except EmptyLibraryError:
        raise EmptyLibraryError(EMPTY_HINT) from None
    if not store.note_count():
        store.close()
        raise EmptyLibraryError(EMPTY_HINT)
    return store

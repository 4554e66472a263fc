"""What ``linkindex search`` does and shows, and how a hit is shown (``related`` too).

Without typer: the quick path (``quick``) runs ``search_and_show`` itself when the command
line is plain; the typer command (``searching.search_command``) runs the same function.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkindex.cli.running import Exit, echo, echo_json, is_tty, open_store, resolve_home, say

if TYPE_CHECKING:
    from linkindex.models import Hit
    from linkindex.search import SearchResults

_BOLD_YELLOW = "\x1b[1;33m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_RESET = "\x1b[0m"

#: Hits per page, and the page shown, unless the command line says otherwise.
LIMIT = 20
PAGE = 1


def search_and_show(
    query: str,
    *,
    topic: str | None,
    site: str | None,
    status: str | None,
    since: str | None,
    limit: int,
    page: int,
    home: Path | None,
    json_output: bool,
) -> None:
    """Search the library and print the hits (``linkindex search``; exit 1 when none match)."""
    from linkindex import search

    library = resolve_home(home)
    with open_store(library) as store:
        results = search.search(
            library,
            query,
            store=store,
            topic=topic,
            site=site,
            status=status,
            since=since,
            limit=limit,
            page=page,
        )
    if json_output:
        echo_json(results_json(results, query))
    else:
        _print_results(results)
    if results.total == 0:  # (as grep: a script can tell; a page past the end is no miss)
        raise Exit(1)


def results_json(results: SearchResults, query: str) -> dict[str, Any]:
    """The ``search --json`` object (documented in docs/search.md)."""
    return {
        "query": query,
        "total": results.total,
        "page": results.page,
        "limit": results.limit,
        "hits": [hit_json(h) for h in results.hits],
        "suggestions": results.suggestions,
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    """One hit as JSON (the snippet marks matches with « and »)."""
    return asdict(hit)


def _print_results(results: SearchResults) -> None:
    colour = is_tty()
    if not results.hits:
        say("no links match", err=True)
        for suggestion in results.suggestions:
            say(f"try: {suggestion}", err=True)
        return
    first = (results.page - 1) * results.limit
    for number, hit in enumerate(results.hits, start=first + 1):
        for line in hit_lines(hit, number, colour=colour):
            echo(line)  # printable already, and it may carry our colours
    shown = first + len(results.hits)
    more = f"; next: --page {results.page + 1}" if shown < results.total else ""
    say(f"{first + 1}-{shown} of {results.total}{more}")


def hit_lines(hit: Hit, number: int, *, colour: bool) -> list[str]:
    """The lines that show one hit: title, URL, where it is filed, the snippet.

    Every text from the library is made printable here (``terminal_text``) rather than
    when the line is printed (``say``), because the lines carry our own colour escapes: a
    library imported before that cleaning may still hold a title with a terminal escape,
    and the only escapes printed are ours.
    """
    from linkindex import topics
    from linkindex.printable import terminal_text
    from linkindex.snippets import MARK_CLOSE, MARK_OPEN

    status = terminal_text(hit.status)
    if colour and status == "dead":
        status = f"{_RED}{status}{_RESET}"
    lines = [f"{number}. {terminal_text(hit.title)}", f"   {terminal_text(hit.url)}"]
    if hit.status == "dead" and hit.archive_url:
        lines.append(f"   archived: {terminal_text(hit.archive_url)}")
    shown = topics.distinct(hit.topics)  # a topic filed under in two scripts: once
    where = terminal_text(" · ".join(topics.label(topic) for topic in shown if topic))
    note = terminal_text(f"{Path(hit.note_path).name}:{hit.line}") if hit.note_path else ""
    facts = [hit.site, status, where, note, terminal_text(hit.published_at or "")[:10]]
    lines.append("   " + " | ".join(f for f in facts if f))
    if hit.snippet:
        snippet = terminal_text(hit.snippet)
        if colour:
            snippet = snippet.replace(MARK_OPEN, _BOLD_YELLOW).replace(MARK_CLOSE, _RESET)
            lines.append(f"   {_DIM}{snippet}{_RESET}".replace(_RESET, _RESET + _DIM))
        else:
            lines.append(f"   {snippet}")
    return lines

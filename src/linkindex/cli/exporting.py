"""Command: ``linkindex export`` (reading lists in md, html, opml, csv, json, netscape, epub)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from linkindex.cli.common import HomeOption, command
from linkindex.cli.running import is_tty, open_store, resolve_home, say
from linkindex.errors import UserError

# Kept here rather than imported from linkindex.export so `--help` stays fast.
_SUFFIXES = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".opml": "opml",
    ".csv": "csv",
    ".json": "json",
    ".epub": "epub",
}
_FORMAT_NAMES = "md, html, opml, csv, json, netscape, epub"
#: export.DEFAULT_MAX_BYTES, written here for the same reason (a test keeps them equal).
IMAGES_MAX_BYTES = 100_000_000


@command("export", kept="nothing is written")
def export_command(
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help=f"One of {_FORMAT_NAMES} (default: from the -o suffix, else json).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file (atomically) instead of stdout."),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option("--topic", help="Only links under this heading, e.g. 'Pytorch > 参考'."),
    ] = None,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Only links matching this search query.")
    ] = None,
    site: Annotated[
        str | None,
        typer.Option("--site", help="Only this site: wechat, zhihu, github, csdn, cnblogs, web."),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only this status: new, ok, not_modified, dead, blocked…"),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="Title of the reading list.")] = "linkindex",
    images: Annotated[
        bool,
        typer.Option(
            "--images/--no-images",
            help="epub: the pages' figures; html: each link's first figure (embedded).",
        ),
    ] = True,
    images_max_bytes: Annotated[
        int,
        typer.Option(
            "--images-max-bytes",
            metavar="N",
            min=0,
            help="Add no more than N bytes of pictures (later ones are left out).",
        ),
    ] = IMAGES_MAX_BYTES,
    home: HomeOption = None,
) -> None:
    """Export links as a reading list or a data file.

    Selects the links still in your notes that match every filter and writes them in one
    format: md (nested topic headings), html (one page for a phone), opml, csv, json,
    netscape (a bookmarks file for Firefox/Chrome), epub (stored page text and figures,
    offline). The same library always gives the same bytes.

    Example:

        linkindex export --topic "Pytorch > 参考" --format epub -o pytorch.epub
    """
    from linkindex import export
    from linkindex.snapshots import Images

    if fmt is None:
        fmt = _SUFFIXES.get(output.suffix.lower(), "json") if output else "json"
    if fmt not in export.FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose from {', '.join(export.FORMATS)}")
    if fmt == "epub" and output is None and is_tty():
        raise UserError("epub is a binary file; write it with -o FILE.epub")
    library = resolve_home(home)
    pictures = export.Pictures(Images(library), images_max_bytes) if images else None
    with open_store(home, create=False) as store:
        records = export.select(store, library, topic=topic, query=query, site=site, status=status)
        data = export.render(records, fmt, title=title, pictures=pictures)
    if output is None:
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    try:
        export.write_atomic(output, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UserError(f"cannot write {output}: {reason}; give another file with -o") from exc
    count = len(records)
    say(f"wrote {count} link{'' if count == 1 else 's'} to {output} ({fmt})", err=True)

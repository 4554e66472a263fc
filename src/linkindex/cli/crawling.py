"""Commands: ``crawl`` (fetch what is due) and ``show`` (everything stored about one link)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import typer

from linkindex.cli.common import (
    HomeOption,
    JsonOption,
    command,
    human_size,
    links_kept,
    load_settings,
)
from linkindex.cli.running import echo_json, interrupted, is_tty, open_store, resolve_home, say
from linkindex.errors import NotFoundError, UserError
from linkindex.models import OUTCOMES, SITES, STATUSES

if TYPE_CHECKING:
    from linkindex.config import Settings
    from linkindex.crawl import CrawlProgress, CrawlSummary
    from linkindex.store import LinkRecord, Store


@command("crawl", kept="the links crawled before the stop are kept")
def crawl_command(
    due: Annotated[
        bool, typer.Option("--due/--all", help="Only links that are due (default), or all.")
    ] = True,
    site: Annotated[
        list[str] | None,
        typer.Option(
            "--site", metavar="SITE", help=f"Only this site (repeatable): {', '.join(SITES)}."
        ),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic", metavar="TOPIC", help='Only links under a heading, e.g. "Pytorch > 参考".'
        ),
    ] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help=f"Only links with this status (repeatable): {', '.join(STATUSES)}.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", min=1, help="At most N links.")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option("--concurrency", metavar="N", min=1, help="Requests in flight overall."),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            min=0.0,
            help="Seconds between two requests to one host (all sites).",
        ),
    ] = None,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Fetch the links that are due, store their pages, and print what happened.

    Politely: per-host intervals (WeChat 5 s by default), robots.txt, retries with
    back-off; a host that shows a verification page rests. Pages behind a JavaScript
    challenge are loaded in a headless Chromium when one is installed
    (scripts/install-browser). Stop it with Ctrl-C at any time; the next run carries on.
    Dead links are looked up in the Wayback Machine.

    Example:

        linkindex crawl --site wechat --limit 200
    """
    from linkindex.crawl import CrawlSelection, crawl
    from linkindex.store import LibraryLock

    for name in site or []:
        if name not in SITES:
            raise UserError(f"unknown site {name!r}; choose from {', '.join(SITES)}")
    for name in status or []:
        if name not in STATUSES:
            raise UserError(f"unknown status {name!r}; choose from {', '.join(STATUSES)}")
    library = resolve_home(home)
    settings = _overrides(load_settings(library), concurrency, interval)
    selection = CrawlSelection(
        due_only=due,
        sites=tuple(site or ()),
        topic=topic,
        statuses=tuple(status or ()),
        limit=limit,
    )
    # The store first: a mistyped --home must not become a folder.
    with open_store(library) as store:
        if topic and not store.has_topic(topic):
            raise NotFoundError(
                f"no heading matches the topic {topic!r}; `linkindex topics` lists them "
                '(a path is written "A > B")'
            )
        with LibraryLock(library):
            progress: Callable[[CrawlProgress], None] | None
            if json_output:
                progress = None
            elif is_tty():
                progress = _ProgressBar()
            else:
                progress = _plain_line
            summary = crawl(store, library, settings, selection=selection, progress=progress)
    if isinstance(progress, _ProgressBar):
        progress.finish()
    if json_output:
        echo_json(summary.to_dict())
    else:
        for line in summary_lines(summary, due_only=due):
            say(line)
        if summary.indexed is not None:
            say(f"index: {summary.indexed} links written")
    if summary.interrupted:
        interrupted(links_kept(summary.done, summary.total))


def _overrides(settings: Settings, concurrency: int | None, interval: float | None) -> Settings:
    """Settings with the command line's --concurrency / --interval applied."""
    crawl = settings.crawl
    if concurrency is not None:
        crawl = replace(crawl, concurrency=concurrency)
    sites = settings.sites
    if interval is not None:
        crawl = replace(crawl, per_host_interval=interval)
        sites = {name: replace(value, per_host_interval=None) for name, value in sites.items()}
    return replace(settings, crawl=crawl, sites=sites)


def _plain_line(progress: CrawlProgress) -> None:
    why = f"  {progress.error}" if progress.error else ""
    say(f"{progress.outcome:<12} {progress.site:<8} {progress.url}{why}")


class _ProgressBar:
    """One redrawn line on stderr: bar, done/total, rate, counts per outcome."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, progress: CrawlProgress) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and progress.done < progress.total:
            return
        self._last = now
        width = 24
        filled = width * progress.done // max(progress.total, 1)
        counts = "  ".join(
            f"{name} {progress.counts[name]}" for name in OUTCOMES if progress.counts.get(name)
        )
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} "
            f"{progress.rate:.1f}/s  {counts}\x1b[K"
        )
        sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()


def summary_lines(summary: CrawlSummary, *, due_only: bool = True) -> list[str]:
    """The closing table (sites x outcomes) and a line about what else happened."""
    figures = summary.figures
    kept = (
        [
            f"figures: {figures.stored} kept ({human_size(figures.new_bytes)} new), "
            f"{figures.failed} failed (tried again next time), {figures.refused} refused"
        ]
        if figures.stored or figures.failed or figures.refused
        else []
    )
    if not summary.selected:
        if due_only:
            return ["nothing is due; `linkindex crawl --all` fetches every link again", *kept]
        return ["no link matches; `linkindex stats` shows the sites and statuses held", *kept]
    lines: list[str] = []
    if summary.by_site:
        columns = [name for name in OUTCOMES if summary.counts.get(name)]
        header = ["site", *columns, "total"]
        rows = [
            [site, *(str(counts.get(name, 0)) for name in columns), str(sum(counts.values()))]
            for site, counts in sorted(summary.by_site.items())
        ]
        rows.append(
            ["total", *(str(summary.counts.get(name, 0)) for name in columns), str(summary.done)]
        )
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells))
    rate = summary.done / summary.elapsed if summary.elapsed > 0 else 0.0
    tail = (
        f"crawled {summary.done} of {summary.total} links in {summary.elapsed:.1f}s ({rate:.1f}/s)"
    )
    if summary.changed:
        tail += f"; {summary.changed} changed"
    if summary.archived:
        tail += f"; {summary.archived} recovered from the Wayback Machine"
    lines.append(tail)
    lines.extend(kept)
    if summary.by_engine.get("browser"):
        engines = sorted(summary.by_engine.items(), key=lambda item: (-item[1], item[0]))
        lines.append("fetched by: " + ", ".join(f"{name} {count}" for name, count in engines))
    if summary.deferred:
        lines.append(
            f"{summary.deferred} left for later: their host is resting after it blocked us"
            + (f" ({', '.join(summary.cooled_hosts)})" if summary.cooled_hosts else "")
        )
    return lines


# -- show ------------------------------------------------------------------------------


@command("show")
def show_command(
    url: Annotated[str, typer.Argument(help="The link, as written in the notes or canonical.")],
    history: Annotated[
        int, typer.Option("--history", metavar="N", min=0, help="Fetches to list.")
    ] = 10,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show what the library holds for one link: page, placements, fetch history.

    Example:

        linkindex show "https://zhuanlan.zhihu.com/p/448012345"
    """
    with open_store(home) as store:
        record = _find(store, url)
        fetches = store.fetch_history(record.id, limit=history)
        versions = store.snapshot_versions(record.id)
        not_kept = store.figures_not_kept(record.id)
    if json_output:
        echo_json(show_json(record, fetches, versions, not_kept))
        return
    for line in show_lines(record, fetches, versions, not_kept):
        say(line)


def _find(store: Store, url: str) -> LinkRecord:
    link_id = store.find_link(url)
    if link_id is None:
        raise NotFoundError(
            f"{url.strip()} is not in the library; `linkindex search WORDS` finds links by "
            "their words, and `linkindex import NOTES` adds the notes that hold it"
        )
    return store.link_records([link_id])[0]


def show_json(
    record: LinkRecord,
    fetches: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    not_kept: list[dict[str, Any]],
) -> dict[str, Any]:
    """The JSON of ``show``: export's link object plus page text, figures, fetches and
    versions."""
    from linkindex.export import link_json

    data = link_json(record)
    page = record.page
    data["page"] = (
        None
        if page is None
        else {
            "title": page.title,
            "author": page.author,
            "account": page.account,
            "published_at": page.published_at,
            "description": page.description,
            "text": page.text,
            "language": page.language,
            "extractor": page.extractor,
            "from_archive": page.from_archive,
            "snapshot_hash": page.snapshot_hash,
            "extracted_at": page.extracted_at,
            "extra": page.extra,
            "engine": page.engine,
        }
    )
    data["images"] = [image.to_json() for image in record.images]
    data["images_not_kept"] = not_kept
    data["fetches"] = fetches
    data["snapshots"] = versions
    return data


def _made_by(extractor: str, extra: dict[str, Any]) -> str:
    """Which extractor produced the page's text, in words for ``show``."""
    fallback = extra.get("text_fallback_from")
    if fallback:
        return f"text by {extractor}, after {fallback} found none"
    return extractor


def _images_line(record: LinkRecord, not_kept: list[dict[str, Any]]) -> str:
    """``3 (412 KB)``, with how many figures were not kept and why, if any."""
    if not record.images and not not_kept:
        return ""
    line = f"{len(record.images)} ({human_size(sum(image.bytes for image in record.images))})"
    later = sum(row["state"] in ("pending", "failed") for row in not_kept)
    if later:
        line += f"; {later} still to fetch"
    if len(not_kept) > later:
        line += f"; {len(not_kept) - later} refused"
    return line


def show_lines(
    record: LinkRecord,
    fetches: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    not_kept: list[dict[str, Any]],
) -> list[str]:
    """``show`` as plain lines: the link, its placements, its page, its history.

    They are printed through ``say``, which makes them printable: a library filled before
    titles were cleaned at import must not reach the terminal with its escapes either.
    """
    return _show_lines(record, fetches, versions, not_kept)


def _show_lines(
    record: LinkRecord,
    fetches: list[dict[str, Any]],
    versions: list[dict[str, Any]],
    not_kept: list[dict[str, Any]],
) -> list[str]:
    lines = [record.url]
    facts = [
        ("canonical", record.canonical_url if record.canonical_url != record.url else ""),
        ("site", record.site),
        ("status", record.status + (f" (HTTP {record.http_status})" if record.http_status else "")),
        ("final url", record.final_url if record.final_url not in (None, record.url) else ""),
        ("error", record.error or ""),
        ("fetched", record.fetched_at or ""),
        ("checked", record.checked_at or ""),
        ("next check", record.next_fetch_at or "now"),
        ("archive", record.archive_url or ""),
        ("versions", str(len(versions)) if versions else ""),
        ("images", _images_line(record, not_kept)),
    ]
    lines += [f"  {name + ':':<12}{value}" for name, value in facts if value]
    lines.append("")
    lines.append(f"placements ({len(record.placements)}):")
    from linkindex import topics

    for p in record.placements:
        where = topics.label(p.topic)
        lines.append(f"  {p.note_path}:{p.line}" + (f"  [{where}]" if where else ""))
        named = ": ".join(part for part in (p.label, p.title) if part)
        lines.extend(f"    {text}" for text in (named, p.description) if text)
    lines.append("")
    page = record.page
    if page is None:
        lines.append("page: none stored yet")
    else:
        source = " from the Wayback Machine" if page.from_archive else ""
        made_by = _made_by(page.extractor, page.extra)
        lines.append(f"page ({made_by}{source}, via {page.engine}, {page.extracted_at}):")
        for name, value in (
            ("title", page.title),
            ("author", page.author),
            ("account", page.account),
            ("published", page.published_at or ""),
            ("summary", page.description),
        ):
            if value:
                lines.append(f"  {name + ':':<12}{value}")
        if page.text:
            lines.append("")
            lines.extend(f"  {line}" if line else "" for line in page.text.splitlines())
    lines.append("")
    lines.append(f"fetch history ({len(fetches)} latest):")
    for f in fetches:
        status = str(f["http_status"] or "-")
        archived = " [archive]" if f["from_archive"] else ""
        archived += " [browser]" if f.get("engine") == "browser" else ""
        error = f"  {f['error']}" if f["error"] else ""
        lines.append(
            f"  {f['started_at']}  {f['outcome']:<12} {status:>3}  {f['elapsed_ms']:>6} ms  "
            f"{f['attempts']} {'try' if f['attempts'] == 1 else 'tries'}{archived}{error}"
        )
    return lines

"""Commands: ``search``, ``related``, ``index``, ``doctor`` (finding links again)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from linkindex.cli import hits
from linkindex.cli.common import HomeOption, JsonOption, command
from linkindex.cli.running import (
    Exit,
    echo,
    echo_json,
    interrupted,
    is_tty,
    open_store,
    resolve_home,
    say,
)
from linkindex.errors import QueryError


@command("search")
def search_command(
    query: Annotated[
        list[str] | None,
        typer.Argument(
            help='Words, "phrases", OR, -word, field:value (several words: one query; '
            "none, with --topic, --site, --status or --since: every link they pass).",
            show_default=False,
        ),
    ] = None,
    topic: Annotated[
        str | None, typer.Option("--topic", help="Only links under this heading (or A/B path).")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="wechat, zhihu, github, csdn, cnblogs or web.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="new, ok, dead, blocked, error, …")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only links dated on or after YYYY[-MM[-DD]].")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Hits per page.")] = hits.LIMIT,
    page: Annotated[int, typer.Option("--page", help="Which page of hits.")] = hits.PAGE,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Search titles, notes, topics and page text (Chinese and English).

    All words are required; `OR`, `-word`/`NOT word`, "exact phrases", and the fields
    title:, site:, topic:, status: narrow it down. Dead links show their archive copy.

    Example:

        linkindex search 显存优化 --topic Pytorch --limit 5
    """
    if not query and not (topic or site or status or since):
        raise QueryError(
            "no words to search for; give some, or list links by --topic, --site, --status "
            "or --since alone"
        )
    hits.search_and_show(
        " ".join(query or []),
        topic=topic,
        site=site,
        status=status,
        since=since,
        limit=limit,
        page=page,
        home=home,
        json_output=json_output,
    )


@command("related")
def related_command(
    url: Annotated[str, typer.Argument(help="A link of the library.")],
    limit: Annotated[int, typer.Option("--limit", help="How many links.")] = 10,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Links similar to one link: shared key words of title and text, shared topics.

    Example:

        linkindex related https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA
    """
    from linkindex import search

    found = search.related(resolve_home(home), url, limit=limit)
    if json_output:
        echo_json({"url": url, "hits": [hits.hit_json(h) for h in found]})
        return
    if not found:
        say("no related links found", err=True)
        return
    for number, hit in enumerate(found, start=1):
        for line in hits.hit_lines(hit, number, colour=is_tty()):
            echo(line)  # printable already, and it may carry our colours


@command("index", kept="the search index is kept as it was last written")
def index_command(
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild the whole index from the store.")
    ] = False,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Bring the search index up to date (only links that changed since the last run).

    Import, crawl and update keep it current by themselves; run this after an
    interrupted run, or with --rebuild after `linkindex doctor` finds a problem.

    Example:

        linkindex index --rebuild
    """
    import time

    from linkindex import indexing
    from linkindex.store import LibraryLock

    library = resolve_home(home)
    with open_store(library) as store:
        started = time.monotonic()
        with LibraryLock(library):
            written = indexing.refresh(store, library, rebuild=rebuild)
    elapsed = round(time.monotonic() - started, 2)
    if json_output:
        echo_json({"written": written, "rebuild": rebuild, "seconds": elapsed})
    else:
        say(f"indexed {written} links in {elapsed} s")


@command("doctor")
def doctor_command(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Rebuild the index if it disagrees with the store; re-fetch lost snapshots "
            "and images.",
        ),
    ] = False,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Check the library: the search index against the store, snapshot and image files.

    Each snapshot's and image's bytes are checked against the sha256 they are named by.
    --repair rebuilds a disagreeing index, makes the links of missing or damaged snapshots
    due for a full re-fetch (the next crawl stores their bodies again) and sends figures
    whose image file is missing or damaged back to the next crawl. Exits 1 when a
    problem remains.

    Example:

        linkindex doctor --repair
    """
    from linkindex.doctor import checkup

    library = resolve_home(home)
    with open_store(library) as store:
        try:
            found = checkup(store, library, repair=repair)
        except KeyboardInterrupt:
            interrupted(
                "the repairs made before the stop are kept" if repair else "nothing is changed"
            )
    check, problems = found.index, found.problems
    if json_output:
        echo_json(
            {
                "ok": not problems,
                "repaired": found.repaired,
                "images_to_fetch_again": found.images_to_fetch_again,
                "problems": problems,
                "index": asdict(check),
                "missing_snapshots": found.missing_snapshots[:100],
                "damaged_snapshots": found.damaged_snapshots[:100],
                "waiting_snapshots": found.waiting_snapshots[:100],
                "forgotten_snapshots": found.forgotten_snapshots[:100],
                "refetch": found.refetch[:100],
                "bad_images": found.bad_images[:100],
            }
        )
    else:
        say(
            f"store: {check.store_links} links (seq {check.store_seq}); "
            f"index: {check.index_links} links (seq {check.index_seq}); "
            f"snapshots: {found.snapshots_checked} checked"
        )
        if found.repaired:
            say("rebuilt the index")
        if found.refetch:
            say(
                f"marked {_count(len(found.refetch), 'link')} for a re-fetch: "
                "the next `linkindex crawl` stores their lost snapshots again"
            )
        if found.forgotten_snapshots:
            say(
                f"forgot {_count(len(found.forgotten_snapshots), 'lost snapshot')} that no "
                "link can bring back (the pages' text is kept)"
            )
        if found.waiting_snapshots:
            say(
                f"waiting for a re-crawl: {_count(len(found.waiting_snapshots), 'lost snapshot')}"
                " (the next `linkindex crawl` fetches their links again)"
            )
        if found.images_to_fetch_again:
            say(
                f"forgot {found.images_to_fetch_again} missing or damaged images: "
                "the next `linkindex crawl` fetches their figures again"
            )
        for problem in problems:
            say(f"problem: {problem}")
        if not problems:
            say("ok")
        elif not repair:
            say("run `linkindex doctor --repair` to repair it")
    if problems:
        raise Exit(1)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}{'' if number == 1 else 's'}"

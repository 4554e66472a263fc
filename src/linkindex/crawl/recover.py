"""Lost pages: find a dead link's copy in the Wayback Machine and fetch it.

The availability API (``archive.wayback_api``, e.g. https://archive.org/wayback/available)
answers ``{"archived_snapshots": {"closest": {"available": true, "url": …, "status":
"200", "timestamp": …}}}``. The copy is fetched in its raw form (``…/web/<ts>id_/<url>``,
without the Wayback toolbar) and goes through the same extractors as a live page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from linkindex.config import Settings
from linkindex.fetch import Fetcher
from linkindex.models import FetchResult

_TIMESTAMPED = re.compile(r"(/web/\d{1,14})(?:[a-z]{2}_)?/")


@dataclass(slots=True)
class ArchivedCopy:
    """A Wayback Machine copy of a URL, as fetched."""

    archive_url: str  # the copy as people open it (with the Wayback toolbar)
    result: FetchResult  # the fetch of the raw copy


def raw_copy_url(archive_url: str) -> str:
    """The toolbar-free form of a Wayback URL: ``/web/<ts>/`` becomes ``/web/<ts>id_/``."""
    return _TIMESTAMPED.sub(r"\1id_/", archive_url, count=1)


def wayback_timestamp(moment: datetime | None) -> str | None:
    """The ``YYYYMMDDhhmmss`` form the availability API takes for ``timestamp``."""
    return moment.strftime("%Y%m%d%H%M%S") if moment else None


async def find_copy(
    fetcher: Fetcher, settings: Settings, url: str, *, near: datetime | None = None
) -> str | None:
    """The URL of the archived copy of ``url`` closest to ``near``, or None."""
    query = {"url": url}
    stamp = wayback_timestamp(near)
    if stamp:
        query["timestamp"] = stamp
    api = settings.archive.wayback_api
    answer = await fetcher.fetch(
        f"{api}{'&' if '?' in api else '?'}{urlencode(query)}",
        obey_robots=False,  # an API, not a page we crawl
        headers={"Accept": "application/json"},
        retries=1,
    )
    if answer.outcome != "ok" or not answer.body:
        return None
    try:
        data = json.loads(answer.body)
    except ValueError:
        return None
    closest = (data.get("archived_snapshots") or {}).get("closest") or {}
    if not isinstance(closest, dict) or not closest.get("available"):
        return None
    if str(closest.get("status", "200")) != "200":
        return None
    found = closest.get("url")
    return str(found) if found else None


async def fetch_copy(
    fetcher: Fetcher, settings: Settings, url: str, *, near: datetime | None = None
) -> ArchivedCopy | None:
    """Find and fetch the archived copy of ``url``; None when there is none."""
    archive_url = await find_copy(fetcher, settings, url, near=near)
    if archive_url is None:
        return None
    result = await fetcher.fetch(raw_copy_url(archive_url), obey_robots=False)
    return ArchivedCopy(archive_url, result)

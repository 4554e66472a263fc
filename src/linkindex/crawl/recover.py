"""Lost pages: find a dead link's copy in the Wayback Machine.

The availability API (``archive.wayback_api``, e.g. https://archive.org/wayback/available)
answers ``{"archived_snapshots": {"closest": {"available": true, "url": …, "status":
"200", "timestamp": …}}}``. The crawler then fetches the copy in its raw form
(``raw_copy_url``: ``…/web/<ts>id_/<url>``, without the Wayback toolbar) and puts it
through the same extractors as a live page.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from urllib.parse import urlencode

from linkindex.config import Settings
from linkindex.fetch import Fetcher

_TIMESTAMPED = re.compile(r"(/web/\d{1,14})(?:[a-z]{2}_)?/")


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


def archived_image_url(archive_url: str, image_url: str) -> str | None:
    """Where the archive that holds a page copy keeps one of its pictures, as it was then.

    ``…/web/<ts>/<page>`` gives ``…/web/<ts>im_/<image>``: the ``im_`` form serves the
    archived bytes of the picture closest to that moment.
    """
    found = _TIMESTAMPED.search(archive_url)
    if found is None:
        return None
    return f"{archive_url[: found.start()]}{found.group(1)}im_/{image_url}"

"""Publish times as pages write them, turned into the store's ISO 8601 UTC form."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from linkindex.models import to_iso

#: China Standard Time. Chinese sites print local times without a zone; China has kept
#: UTC+8 all year since 1991, so a fixed offset is exact and needs no tz database.
CHINA = timezone(timedelta(hours=8), "CST")

# 2021-03-04, 2021/3/4, 2021.03.04 or 2021年3月4日, optionally followed by a time.
_LOCAL = re.compile(
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]*(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)

# Unix times between 2000 and 2100: anything else in a "ct" variable is not a date.
_EARLIEST = 946684800
_LATEST = 4102444800


def from_unix(value: object) -> str | None:
    """ISO UTC from Unix seconds (or milliseconds) given as a number or a digit string."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return None
    if seconds > _LATEST * 100:  # milliseconds
        seconds /= 1000
    if not _EARLIEST <= seconds < _LATEST:
        return None
    return to_iso(datetime.fromtimestamp(seconds, UTC))


def from_local(text: str, *, zone: timezone = CHINA) -> str | None:
    """ISO UTC from the first date (and time) written in ``text``, read in ``zone``."""
    match = _LOCAL.search(text)
    if match is None:
        return None
    try:
        moment = datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            int(match["H"] or 0),
            int(match["M"] or 0),
            int(match["S"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
    return to_iso(moment)


def from_iso_text(text: str, *, zone: timezone = CHINA) -> str | None:
    """ISO UTC from an ISO 8601 text; one without a zone is read in ``zone``."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return from_local(text, zone=zone)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return to_iso(moment)

"""The re-crawl policy: when a link is due again, and why it is due now.

Pure functions over plain values; the crawler calls ``next_check`` after every fetch
and stores the result as ``links.next_fetch_at``. The rules:

- ``ok`` / ``not_modified``: the site's ``refresh_days`` (GitHub READMEs change often,
  WeChat articles almost never), doubled for every check in a row that found the content
  unchanged, capped at ``schedule.max_refresh_days``; a change resets it.
- ``error`` / ``blocked``: exponential back-off from ``schedule.retry_base_hours``
  (doubling per failure in a row), capped at ``schedule.retry_max_days``. A blocked host
  also cools down as a whole; that is the crawler's ``hosts.cooldown_until``, not here.
- ``dead``: re-checked with the same back-off until it has been dead
  ``schedule.dead_confirmations`` times in a row; then it is final and only looked at
  again after ``max_refresh_days`` (pages do come back).
- ``skipped`` (robots.txt, unsupported scheme): ``max_refresh_days``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from linkindex.config import Settings

#: Used when neither the site nor ``web`` sets refresh_days.
DEFAULT_REFRESH_DAYS = 30.0

# 2**_MAX_DOUBLINGS is far beyond any cap; stops huge counts from overflowing a float.
_MAX_DOUBLINGS = 30


def refresh_days(site: str, settings: Settings) -> float:
    """The base re-check interval of an ``ok`` page of ``site``, in days."""
    days = settings.site(site).refresh_days
    return DEFAULT_REFRESH_DAYS if days is None else days


def retry_delay(failures: int, settings: Settings) -> timedelta:
    """The wait after ``failures`` failed checks in a row (1 = the first failure)."""
    doublings = min(max(failures, 1) - 1, _MAX_DOUBLINGS)
    hours = settings.schedule.retry_base_hours * 2**doublings
    return timedelta(hours=min(hours, settings.schedule.retry_max_days * 24))


def refresh_delay(site: str, unchanged: int, settings: Settings) -> timedelta:
    """The wait before re-checking a page found unchanged ``unchanged`` times in a row."""
    days = refresh_days(site, settings) * 2 ** min(max(unchanged, 0), _MAX_DOUBLINGS)
    cap = settings.schedule.max_refresh_days
    return timedelta(days=min(days, max(cap, refresh_days(site, settings))))


def is_dead_final(dead_count: int, settings: Settings) -> bool:
    """Whether a link found dead ``dead_count`` times in a row counts as gone for good."""
    return dead_count >= max(settings.schedule.dead_confirmations, 1)


def next_check(
    *,
    site: str,
    outcome: str,
    changed: bool,
    fail_count: int,
    unchanged_count: int,
    dead_count: int,
    now: datetime,
    settings: Settings,
) -> datetime:
    """When a link that has just been fetched is due again.

    Args:
        site: the link's site (``wechat``, ``github``…; unknown sites use ``web``).
        outcome: the fetch's outcome (``models.OUTCOMES``).
        changed: whether the content differs from the previous fetch (``ok`` only).
        fail_count, unchanged_count, dead_count: the link's counters *after* this fetch
            (failures / unchanged checks / dead verdicts in a row).
        now: the moment of the fetch.
        settings: the library settings (``[schedule]`` and ``[sites.*]``).
    """
    long_wait = timedelta(days=settings.schedule.max_refresh_days)
    if outcome in ("ok", "not_modified"):
        return now + refresh_delay(site, 0 if changed else unchanged_count, settings)
    if outcome in ("error", "blocked"):
        return now + retry_delay(fail_count, settings)
    if outcome == "dead":
        if is_dead_final(dead_count, settings):
            return now + long_wait
        return now + retry_delay(dead_count, settings)
    # skipped, or anything this version does not know
    return now + long_wait


def due_reason(
    *,
    status: str,
    site: str,
    fail_count: int,
    dead_count: int,
    fetched_at: datetime | None,
    now: datetime,
    settings: Settings,
) -> str:
    """Why a due link is fetched now, in words (for ``linkindex due``)."""
    if status == "new":
        return "new: never fetched"
    if status in ("error", "blocked"):
        wait = retry_delay(fail_count, settings)
        return f"retry after failure {max(fail_count, 1)} ({status}, waited {_span(wait)})"
    if status == "dead":
        if is_dead_final(dead_count, settings):
            return "dead for good: the occasional look whether it came back"
        confirmations = max(settings.schedule.dead_confirmations, 1)
        return f"dead confirmation {dead_count + 1} of {confirmations}"
    if status == "skipped":
        return "re-check of a skipped link"
    every = refresh_days(site, settings)
    if fetched_at is None:
        return f"refresh ({site} every {every:g} days)"
    return f"refresh: fetched {_span(now - fetched_at)} ago ({site} every {every:g} days)"


def _span(delta: timedelta) -> str:
    """A duration as people say it: ``6 hours``, ``3 days``."""
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{round(hours):g} hours"
    return f"{round(hours / 24):g} days"

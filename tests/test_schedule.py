"""The re-crawl policy: intervals per site, unchanged back-off, failure back-off, dead links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from linkindex.config import ScheduleSettings, Settings, SiteSettings
from linkindex.schedule import next_check

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SETTINGS = Settings()


def wait(**kwargs: object) -> timedelta:
    values: dict[str, object] = {
        "site": "web",
        "outcome": "ok",
        "changed": False,
        "fail_count": 0,
        "unchanged_count": 0,
        "dead_count": 0,
        "now": NOW,
        "settings": SETTINGS,
    }
    values.update(kwargs)
    return next_check(**values) - NOW  # type: ignore[arg-type]


def test_ok_uses_the_site_refresh_interval() -> None:
    assert wait(site="github", changed=True) == timedelta(days=7)
    assert wait(site="wechat", changed=True) == timedelta(days=90)
    assert wait(site="web", changed=True) == timedelta(days=30)


def test_unknown_site_falls_back_to_web() -> None:
    assert wait(site="gitee", changed=True) == timedelta(days=30)


def test_unchanged_content_lengthens_the_interval_up_to_the_cap() -> None:
    assert wait(site="github", unchanged_count=1) == timedelta(days=14)
    assert wait(site="github", unchanged_count=2) == timedelta(days=28)
    assert wait(site="github", outcome="not_modified", unchanged_count=3) == timedelta(days=56)
    assert wait(site="github", unchanged_count=40) == timedelta(days=365)
    assert wait(site="github", unchanged_count=10**6) == timedelta(days=365)


def test_a_change_resets_the_interval() -> None:
    assert wait(site="github", changed=True, unchanged_count=5) == timedelta(days=7)


def test_failures_back_off_exponentially_with_a_cap() -> None:
    hours = [wait(outcome="error", fail_count=n) / timedelta(hours=1) for n in range(1, 5)]
    assert hours == [6, 12, 24, 48]
    assert wait(outcome="blocked", fail_count=1) == timedelta(hours=6)
    assert wait(outcome="error", fail_count=50) == timedelta(days=30)


def test_dead_is_rechecked_before_it_is_final() -> None:
    first = wait(outcome="dead", dead_count=1)
    second = wait(outcome="dead", dead_count=2)
    assert timedelta(0) < first < second < timedelta(days=30)
    assert wait(outcome="dead", dead_count=3) == timedelta(days=365)
    assert wait(outcome="dead", dead_count=9) == timedelta(days=365)


def test_skipped_waits_long() -> None:
    assert wait(outcome="skipped") == timedelta(days=365)


def test_settings_are_honoured() -> None:
    settings = Settings(
        sites={"web": SiteSettings(refresh_days=2)},
        schedule=ScheduleSettings(
            max_refresh_days=5, retry_base_hours=1, retry_max_days=0.25, dead_confirmations=1
        ),
    )
    assert wait(settings=settings, changed=True) == timedelta(days=2)
    assert wait(settings=settings, unchanged_count=3) == timedelta(days=5)
    assert wait(settings=settings, outcome="error", fail_count=10) == timedelta(hours=6)
    assert wait(settings=settings, outcome="dead", dead_count=1) == timedelta(days=5)


@pytest.mark.parametrize("outcome", ["ok", "not_modified", "dead", "blocked", "error", "skipped"])
def test_always_in_the_future(outcome: str) -> None:
    for count in range(0, 12):
        assert wait(
            outcome=outcome, fail_count=count, dead_count=count, unchanged_count=count
        ) > timedelta(0)


def test_due_reasons_in_words() -> None:
    from linkindex.schedule import due_reason

    def reason(status: str, **kwargs: object) -> str:
        values: dict[str, object] = {
            "status": status,
            "site": "github",
            "fail_count": 0,
            "dead_count": 0,
            "fetched_at": None,
            "now": NOW,
            "settings": SETTINGS,
        }
        values.update(kwargs)
        return due_reason(**values)  # type: ignore[arg-type]

    assert reason("new") == "new: never fetched"
    assert reason("ok", fetched_at=NOW - timedelta(days=9)) == (
        "refresh: fetched 9 days ago (github every 7 days)"
    )
    assert reason("blocked", fail_count=3) == "retry after failure 3 (blocked, waited 24 hours)"
    assert reason("dead", dead_count=1) == "dead confirmation 2 of 3"
    assert reason("dead", dead_count=3).startswith("dead for good")
    assert reason("skipped") == "re-check of a skipped link"

"""config.toml: the fetch engines per site and [browser]; [images] and each site's
image_referer; all checked like the rest."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from linkindex.config import BrowserSettings, ImageSettings, load_settings, parse_settings
from linkindex.errors import ConfigError
from linkindex.fetch.browser import check_engines


def test_every_site_is_auto_by_default() -> None:
    settings = parse_settings({})
    assert {site.engine for site in settings.sites.values()} == {"auto"}
    assert settings.site("not-a-site").engine == "auto"
    assert settings.browser == BrowserSettings(executable="", pages=2, timeout=30.0)


def test_engines_and_browser_settings_are_read() -> None:
    settings = parse_settings(
        {
            "sites": {"zhihu": {"engine": "browser"}, "wechat": {"engine": "http"}},
            "browser": {"executable": "/opt/chrome/chrome", "pages": 4, "timeout": 45},
        }
    )
    assert settings.site("zhihu").engine == "browser"
    assert settings.site("zhihu").per_host_interval == 3.0  # the site's other defaults stay
    assert settings.site("wechat").engine == "http"
    assert settings.browser == BrowserSettings("/opt/chrome/chrome", 4, 45.0)


def test_images_defaults() -> None:
    assert parse_settings({}).images == ImageSettings(
        enabled=True, per_host_interval=0.2, per_host_concurrency=2, max_per_page=50,
        max_bytes=5_000_000,
    )  # fmt: skip
    assert parse_settings({}).site("wechat").image_referer is None


def test_images_section_and_image_referer(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        "[images]\nenabled = false\nmax_per_page = 10\nper_host_interval = 1\n\n"
        '[sites.csdn]\nimage_referer = "https://blog.csdn.net/"\n',
        encoding="utf-8",
    )
    settings = load_settings(tmp_path)
    assert settings.images == ImageSettings(enabled=False, max_per_page=10, per_host_interval=1.0)
    assert settings.site("csdn").image_referer == "https://blog.csdn.net/"
    assert settings.site("csdn").per_host_interval == 2.0  # the site's other defaults stay


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"sites": {"zhihu": {"engine": "chrome"}}},
            "config.toml: sites.zhihu.engine must be one of 'auto', 'http', 'browser'",
        ),
        ({"browser": {"pages": 0}}, "config.toml: browser.pages must be at least 1"),
        ({"browser": {"timeout": 0}}, "config.toml: browser.timeout must be more than 0"),
        (
            {"browser": {"timeout": "long"}},
            "config.toml: browser.timeout must be a non-negative number",
        ),
        ({"browser": {"executable": 5}}, "config.toml: browser.executable must be a string"),
        (
            {"browser": {"headless": False}},
            "config.toml: unknown key browser.headless; known keys: executable, pages, timeout",
        ),
        (
            {"browsers": {}},
            "config.toml: unknown section [browsers]; "
            "known: crawl, sites, archive, schedule, images, browser",
        ),
    ],
)
def test_bad_values_are_one_line_naming_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    assert str(caught.value) == message


def test_a_site_that_must_use_the_browser_needs_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    check_engines(parse_settings({}))  # auto without Chromium: today's crawl
    forced = parse_settings({"sites": {"zhihu": {"engine": "browser"}}})
    with pytest.raises(ConfigError, match=r'^config.toml: sites.zhihu.engine = "browser" needs'):
        check_engines(forced)
    chromium = tmp_path / "chromium"
    chromium.write_text("#!/bin/sh\n", encoding="ascii")
    chromium.chmod(chromium.stat().st_mode | stat.S_IXUSR)
    check_engines(forced)
    with pytest.raises(ConfigError, match=r"^config.toml: browser.executable = '/no/chrome'"):
        check_engines(parse_settings({"browser": {"executable": "/no/chrome"}}))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"images": {"max_bytes": -1}}, "images.max_bytes must be a non-negative whole number"),
        ({"images": {"enabled": "yes"}}, "images.enabled must be true or false"),
        ({"images": {"per_host_interval": "fast"}}, "images.per_host_interval must be a"),
        ({"images": {"max_size": 1}}, "unknown key images.max_size; known keys: enabled,"),
        ({"images": 3}, "[images] must be a table"),
        ({"sites": {"zhihu": {"image_referer": 1}}}, "sites.zhihu.image_referer must be a string"),
        ({"image": {}}, "known: crawl, sites, archive, schedule, images"),
    ],
)
def test_bad_values_name_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        parse_settings(raw)
    assert message in str(caught.value)

"""config.toml: values that apply, the [images] section, the fetch engines per site and
[browser], and every mistake as one clear line."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from linkindex.cli import app
from linkindex.config import (
    BrowserSettings,
    ImageSettings,
    Settings,
    load_settings,
    parse_settings,
)
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


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


def test_no_config_means_the_defaults(home: Path) -> None:
    assert load_settings(home) == Settings()


def test_values_apply_and_a_site_override_keeps_the_other_defaults(home: Path) -> None:
    write_config(
        home,
        "[crawl]\nconcurrency = 4\ntimeout = 7\nobey_robots = false\n"
        'user_agent = "me/1"\n\n'
        "[sites.wechat]\nper_host_interval = 8\n"
        'headers = { Referer = "https://mp.weixin.qq.com/" }\n\n'
        "[sites.gitee]\nper_host_interval = 2.5\n\n"
        "[schedule]\ndead_confirmations = 5\n\n[archive]\nenabled = false\n",
    )
    settings = load_settings(home)
    assert (settings.crawl.concurrency, settings.crawl.timeout) == (4, 7.0)
    assert isinstance(settings.crawl.timeout, float)
    assert (settings.crawl.obey_robots, settings.crawl.user_agent) == (False, "me/1")
    wechat = settings.site("wechat")
    assert (wechat.per_host_interval, wechat.per_host_concurrency) == (8.0, 1)
    assert wechat.refresh_days == 90
    assert wechat.headers == {"Referer": "https://mp.weixin.qq.com/"}
    assert settings.site("gitee").per_host_interval == 2.5
    assert settings.site("zhihu").per_host_interval == 3.0
    assert settings.schedule.dead_confirmations == 5
    assert settings.archive.enabled is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[crawl]\nconcurency = 4\n",
            "config.toml: unknown key crawl.concurency; known keys: allow_private_networks, "
            "backoff_base, backoff_max, concurrency, cooldown, extract_workers, github_api_url, "
            "http2, max_bytes, max_redirects, obey_robots, per_host_concurrency, "
            "per_host_interval, retries, timeout, user_agent",
        ),
        (
            "[sites.wechat]\ninterval = 5\n",
            "config.toml: unknown key sites.wechat.interval; known keys: cookies, engine, "
            "headers, image_referer, per_host_concurrency, per_host_interval, refresh_days",
        ),
        (
            "[crawler]\nconcurrency = 4\n",
            "config.toml: unknown section [crawler]; known: crawl, sites, archive, schedule, "
            "images, browser",
        ),
        ('[crawl]\ntimeout = "slow"\n', "config.toml: crawl.timeout must be a non-negative number"),
        ("[crawl]\ntimeout = -1\n", "config.toml: crawl.timeout must be a non-negative number"),
        ("[crawl]\ntimeout = true\n", "config.toml: crawl.timeout must be a non-negative number"),
        (
            "[crawl]\nretries = 2.5\n",
            "config.toml: crawl.retries must be a non-negative whole number",
        ),
        (
            "[crawl]\nretries = false\n",
            "config.toml: crawl.retries must be a non-negative whole number",
        ),
        ('[crawl]\nobey_robots = "no"\n', "config.toml: crawl.obey_robots must be true or false"),
        ("[crawl]\nuser_agent = 5\n", "config.toml: crawl.user_agent must be a string"),
        (
            '[sites.zhihu]\nheaders = "Referer: x"\n',
            "config.toml: sites.zhihu.headers must be a table of strings",
        ),
        ("crawl = 5\n", "config.toml: [crawl] must be a table"),
        ("sites = 5\n", "config.toml: [sites] must hold tables such as [sites.wechat]"),
        ("[sites]\nwechat = 5\n", "config.toml: [sites.wechat] must be a table"),
    ],
)
def test_each_mistake_is_one_clear_line(
    home: Path, runner: CliRunner, text: str, message: str
) -> None:
    write_config(home, text)
    result = runner.invoke(app, ["crawl", "--all"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [f"error: {message}"]
    assert result.stdout == ""


def test_invalid_toml_is_one_clear_line(home: Path, runner: CliRunner) -> None:
    write_config(home, "[crawl\ntimeout = 3\n")
    result = runner.invoke(app, ["crawl", "--all"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {home / 'config.toml'} is not valid TOML (Expected ']' at the end of a table "
        "declaration (at line 1, column 7)); fix it or delete it"
    ]


def test_an_unreadable_config_is_one_clear_line(home: Path, runner: CliRunner) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_bytes(b"[crawl]\ntimeout = \xff\n")
    result = runner.invoke(app, ["crawl", "--all"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: cannot read {home / 'config.toml'}: 'utf-8' codec")


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

"""Settings: ``config.toml`` in the library home, every key optional.

Which folder is the home (``--home``, ``LINKINDEX_HOME``) is ``home.resolve_home``'s.
Proxies and CA bundles come from the usual ``HTTP(S)_PROXY`` / ``NO_PROXY`` /
``SSL_CERT_FILE`` variables, read by the fetch layer.

A field's ``metadata`` may bound its value (``minimum``, ``above``) or list its
``choices``; a value outside them is a ConfigError naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from linkindex import PROJECT_URL, __version__
from linkindex.errors import ConfigError

DEFAULT_USER_AGENT = f"linkindex/{__version__} (+{PROJECT_URL})"

#: How a site's pages are fetched. ``auto``: plain HTTP first, the browser only for a
#: JavaScript challenge or a page whose text is written by script; ``http``: never the
#: browser; ``browser``: always the browser.
ENGINE_CHOICES: tuple[str, ...] = ("auto", "http", "browser")


@dataclass(frozen=True, slots=True)
class SiteSettings:
    """Per-site overrides of the crawl settings ([sites.NAME] in config.toml)."""

    per_host_interval: float | None = None
    per_host_concurrency: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    refresh_days: float | None = None  # how often an unchanged ok page is re-checked
    engine: str = field(default="auto", metadata={"choices": ENGINE_CHOICES})
    image_referer: str | None = None  # Referer sent with this site's figures (default: none)


@dataclass(frozen=True, slots=True)
class CrawlSettings:
    """[crawl] in config.toml."""

    concurrency: int = 16
    per_host_concurrency: int = 2
    per_host_interval: float = 1.0
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    retries: int = 3
    max_redirects: int = 10
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_networks: bool = False
    obey_robots: bool = True
    http2: bool = True
    backoff_base: float = 0.5  # seconds; doubled each retry, with jitter
    backoff_max: float = 60.0
    cooldown: float = 600.0  # seconds a host rests after it blocked us
    github_api_url: str = "https://api.github.com"  # used for GitHub repos when GITHUB_TOKEN is set
    extract_workers: int | None = None  # extraction processes; 0: a thread; unset: automatic


#: Defaults per site; WeChat shows its 环境异常 verification page after bursts.
DEFAULT_SITES: dict[str, SiteSettings] = {
    "wechat": SiteSettings(per_host_interval=5.0, per_host_concurrency=1, refresh_days=90),
    "zhihu": SiteSettings(per_host_interval=3.0, per_host_concurrency=1, refresh_days=60),
    "github": SiteSettings(per_host_interval=1.0, refresh_days=7),
    "csdn": SiteSettings(per_host_interval=2.0, refresh_days=60),
    "cnblogs": SiteSettings(per_host_interval=1.0, refresh_days=60),
    "web": SiteSettings(refresh_days=30),
}


@dataclass(frozen=True, slots=True)
class BrowserSettings:
    """[browser] in config.toml: the headless Chromium of the browser engine."""

    executable: str = ""  # empty: chromium, chromium-browser or google-chrome on PATH
    pages: int = field(default=2, metadata={"minimum": 1})  # pages loading at once
    timeout: float = field(default=30.0, metadata={"above": 0})  # seconds per page load


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    """[archive] in config.toml: recovering lost pages from the Wayback Machine."""

    enabled: bool = True
    wayback_api: str = "https://archive.org/wayback/available"
    for_blocked: bool = False  # also look up links that stay blocked


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """[images] in config.toml: keeping the figures of crawled articles.

    Image hosts get their own pace: a CDN such as mmbiz.qpic.cn serves pictures far
    faster than the article hosts serve pages, and its pace never holds them up.
    """

    enabled: bool = True
    per_host_interval: float = 0.2  # seconds between two requests to one image host
    per_host_concurrency: int = 2
    max_per_page: int = 50  # figures kept per page, in document order
    max_bytes: int = 5_000_000  # larger pictures are not kept


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """[schedule] in config.toml: the re-crawl policy."""

    max_refresh_days: float = 365.0
    retry_base_hours: float = 6.0  # first retry after a failure
    retry_max_days: float = 30.0
    dead_confirmations: int = 3  # dead this many times in a row before it is final


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything config.toml can set."""

    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    sites: dict[str, SiteSettings] = field(default_factory=lambda: dict(DEFAULT_SITES))
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    images: ImageSettings = field(default_factory=ImageSettings)

    def site(self, name: str) -> SiteSettings:
        """The settings of one site (``web`` for any other)."""
        return self.sites.get(name) or self.sites.get("web") or SiteSettings()


def _section(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"config.toml: [{where}] must be a table")
    known = {f.name: f for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(
                f"config.toml: unknown key {where}.{key}; known keys: {', '.join(sorted(known))}"
            )
        values[key] = _bounded(known[key], _coerce(known[key].type, value, f"{where}.{key}"), where)
    return cls(**values)


def _bounded(spec: Any, value: Any, where: str) -> Any:
    """``value`` if the field's metadata allows it; else a ConfigError naming the key."""
    name = f"config.toml: {where}.{spec.name}"
    choices = spec.metadata.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(repr(c) for c in choices)}")
    minimum = spec.metadata.get("minimum")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}")
    above = spec.metadata.get("above")
    if above is not None and value <= above:
        raise ConfigError(f"{name} must be more than {above}")
    return value


def _coerce(annotation: Any, value: Any, where: str) -> Any:
    kind = str(annotation)
    if "dict" in kind:
        if not isinstance(value, dict):
            raise ConfigError(f"config.toml: {where} must be a table of strings")
        return {str(k): str(v) for k, v in value.items()}
    if "bool" in kind:
        if not isinstance(value, bool):
            raise ConfigError(f"config.toml: {where} must be true or false")
        return value
    if "float" in kind:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"config.toml: {where} must be a non-negative number")
        return float(value)
    if "int" in kind:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"config.toml: {where} must be a non-negative whole number")
        return value
    if not isinstance(value, str):
        raise ConfigError(f"config.toml: {where} must be a string")
    return value


def parse_settings(raw: dict[str, Any]) -> Settings:
    """Settings from a parsed config.toml; unknown keys and bad values raise ConfigError."""
    settings = Settings()
    for key, value in raw.items():
        if key == "crawl":
            settings = replace(settings, crawl=_section(CrawlSettings, value, "crawl"))
        elif key == "archive":
            settings = replace(settings, archive=_section(ArchiveSettings, value, "archive"))
        elif key == "schedule":
            settings = replace(settings, schedule=_section(ScheduleSettings, value, "schedule"))
        elif key == "browser":
            settings = replace(settings, browser=_section(BrowserSettings, value, "browser"))
        elif key == "images":
            settings = replace(settings, images=_section(ImageSettings, value, "images"))
        elif key == "sites":
            if not isinstance(value, dict):
                raise ConfigError("config.toml: [sites] must hold tables such as [sites.wechat]")
            sites = dict(DEFAULT_SITES)
            for name, table in value.items():
                base = sites.get(name, SiteSettings())
                override = _section(SiteSettings, table, f"sites.{name}")
                changed = {
                    f.name: getattr(override, f.name)
                    for f in fields(SiteSettings)
                    if f.name in table
                }
                sites[name] = replace(base, **changed)
            settings = replace(settings, sites=sites)
        else:
            raise ConfigError(
                f"config.toml: unknown section [{key}]; "
                "known: crawl, sites, archive, schedule, images, browser"
            )
    return settings


def load_settings(home: Path) -> Settings:
    """Read ``home/config.toml`` (absent means all defaults)."""
    path = home / "config.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    import tomllib  # only with a config file: compiling its patterns is ~6 ms of a search

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it or delete it") from exc
    return parse_settings(raw)

"""config.toml: the [images] section and each site's image_referer, checked like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from linkindex.config import ImageSettings, load_settings, parse_settings
from linkindex.errors import ConfigError


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

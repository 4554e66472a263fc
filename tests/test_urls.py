"""URL identity: canonical keys, site and host detection."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkindex.models import SITES
from linkindex.urls import _normalize, host_of, is_tracking, normalize, site_of, split_canonical

ARTICLE = "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"
LONG = "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=2650741234&idx=1&sn=0a1b2c3d4e"


@pytest.mark.parametrize(
    ("written", "key"),
    [
        (ARTICLE, ARTICLE),
        ("http://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA", ARTICLE),
        ("HTTPS://MP.WEIXIN.QQ.COM/s/KNaFelqk9UO6JYjbPTQohA", ARTICLE),
        (ARTICLE + "?scene=21#wechat_redirect", ARTICLE),
        (ARTICLE + "?from=singlemessage&isappinstalled=0", ARTICLE),
        (ARTICLE + "#rd", ARTICLE),
        (
            "http://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw%3D%3D&mid=2650741234&idx=1"
            "&sn=0a1b2c3d4e&chksm=84e5e9b2b3926&scene=21&srcid=0720&sharer_sharetime=1"
            "&sharer_shareid=ab&pass_ticket=xyz&wx_header=0#rd",
            LONG,
        ),
        (
            "https://mp.weixin.qq.com/s?sn=0a1b2c3d4e&idx=1&mid=2650741234"
            "&__biz=MzA3MzI4MjgzMw==&exportkey=A1&ascene=1&devicetype=iOS&version=1&lang=zh_CN"
            "&nettype=WIFI&clicktime=1&enterid=2",
            LONG,
        ),
        ("https://zhuanlan.zhihu.com/p/31558973?utm_source=wechat&utm_medium=social", None),
        ("http://zhuanlan.zhihu.com/p/31558973/", "https://zhuanlan.zhihu.com/p/31558973"),
        ("https://github.com/pytorch/pytorch/", "https://github.com/pytorch/pytorch"),
        ("http://www.github.com/pytorch/pytorch", "https://github.com/pytorch/pytorch"),
        (
            "https://blog.csdn.net/u/article/details/79?spm=1001.2014&depth_1-utm_source=x",
            "https://blog.csdn.net/u/article/details/79",
        ),
        ("http://www.cnblogs.com/u/p/123.html", "https://www.cnblogs.com/u/p/123.html"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/", "http://example.com/"),
        ("http://example.com/?", "http://example.com/"),
        ("http://Example.COM:80/a/", "http://example.com/a"),
        ("https://example.com:443/a?", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/%7euser/%e4%b8%ad", "https://example.com/~user/%E4%B8%AD"),
        ("https://example.com/中文", "https://example.com/%E4%B8%AD%E6%96%87"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        (
            "https://en.wikipedia.org/wiki/Matrix_(mathematics)#Decomposition",
            "https://en.wikipedia.org/wiki/Matrix_(mathematics)",
        ),
        ("https://example.com/app#/docs/intro", "https://example.com/app#/docs/intro"),
        ("https://example.com/?q=1&&lang=en", "https://example.com/?q=1&lang=en"),
        ("https://example.com/?q=a+b&r=%2B", "https://example.com/?q=a+b&r=%2B"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://[::1]:8080/x", "https://[::1]:8080/x"),
    ],
)
def test_equivalent_forms_have_one_key(written: str, key: str | None) -> None:
    expected = key if key is not None else written.split("?")[0]
    assert normalize(written) == expected


@pytest.mark.parametrize(
    ("site", "written", "key"),
    [
        (
            "wechat",
            "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA3MzI4MjgzMw==&action=getalbum"
            "&album_id=1&scene=173&from_msgid=2&subscene=0&nettype=WIFI&lang=zh_CN"
            "#wechat_redirect",
            "https://mp.weixin.qq.com/mp/appmsgalbum?__biz=MzA3MzI4MjgzMw==&action=getalbum"
            "&album_id=1&from_msgid=2",
        ),
        (
            "wechat",
            "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=1&idx=1&sn=abc&scene=21&foo=bar",
            "https://mp.weixin.qq.com/s?__biz=MzA3MzI4MjgzMw==&mid=1&idx=1&sn=abc",
        ),
        (
            "zhihu",
            "https://zhuanlan.zhihu.com/p/31558973?utm_source=wechat&utm_medium=social"
            "&utm_oi=123&utm_psn=456&share_code=abc&from=timeline&isappinstalled=0&page=2",
            "https://zhuanlan.zhihu.com/p/31558973?page=2",
        ),
        (
            "zhihu",
            "https://www.zhihu.com/question/567890123/answer/987?utm_campaign=shareopn"
            "&utm_content=group3_Answer&utm_medium=social&utm_psn=1&utm_source=wechat_session"
            "&sort=created",
            "https://www.zhihu.com/question/567890123/answer/987?sort=created",
        ),
        (
            "github",
            "https://github.com/pytorch/pytorch?tab=readme-ov-file&utm_source=x"
            "&from=singlemessage&spm=a.b",
            "https://github.com/pytorch/pytorch?tab=readme-ov-file",
        ),
        (
            "csdn",
            "https://blog.csdn.net/u/article/details/79?ops_request_misc=%257B%2522request"
            "%255Fid%2522%257D&request_id=1666&biz_id=0&utm_medium=distribute.pc_search_result"
            ".none-task-blog-2~all~first_rank_ecpm_v1~rank_v31_ecpm-1-79.nonecase&utm_term=onnx"
            "&spm=1018.2226.3001.4187&depth_1-utm_source=distribute.pc_relevant.none-task",
            "https://blog.csdn.net/u/article/details/79",
        ),
        (
            "cnblogs",
            "https://www.cnblogs.com/u/p/123.html?from=timeline&isappinstalled=0&utm_source=x"
            "&page=1",
            "https://www.cnblogs.com/u/p/123.html?page=1",
        ),
        (
            "web",
            "https://example.com/post?id=7&utm_source=feed&fbclid=IwAR0&gclid=Cj0&spm=a2c"
            "&from=groupmessage&scene=1&lang=en&version=2&key=abc&mc_cid=x&_hsenc=y&igshid=z",
            "https://example.com/post?id=7&scene=1&lang=en&version=2&key=abc",
        ),
        (
            "web",
            "https://example.com/list?from=2020&to=2021",
            "https://example.com/list?from=2020&to=2021",
        ),
    ],
)
def test_tracking_parameters_each_site_drops(site: str, written: str, key: str) -> None:
    # Literal keys: a parameter dropped or kept by mistake shows here, whatever is_tracking says.
    assert site_of(written) == site
    assert normalize(written) == key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   ",
        "http://",
        "https://",
        "javascript:alert(1)",
        "mailto:someone@example.com",
        "file:///home/me/notes.md",
        "ftp://example.com/file",
        "//example.com/x",
        "www.example.com",
        "https://mp.weixin.qq.com/s/",
        "https://mp.weixin.qq.com/s",
        "https://mp.weixin.qq.com/s?",
        "https://mp.weixin.qq.com/s?scene=21",
        "https://a..b/",
        "https://exa mple.com/",
        "https://example.com:99999/",
        "https://example.com\x00/",
    ],
)
def test_malformed_or_unsupported_is_none(bad: str) -> None:
    assert normalize(bad) is None


@pytest.mark.parametrize(
    ("url", "site"),
    [
        (ARTICLE, "wechat"),
        ("https://zhuanlan.zhihu.com/p/1", "zhihu"),
        ("https://www.zhihu.com/question/1", "zhihu"),
        ("https://zhihu.com/question/1", "zhihu"),
        ("https://github.com/a/b", "github"),
        ("https://www.github.com/a/b", "github"),
        ("https://blog.csdn.net/a", "csdn"),
        ("https://download.csdn.net/a", "csdn"),
        ("https://www.cnblogs.com/a", "cnblogs"),
        ("https://someone.cnblogs.com/a", "cnblogs"),
        ("https://raw.githubusercontent.com/a", "web"),
        ("https://notcsdn.net/a", "web"),
        ("https://weixin.qq.com/", "web"),
        ("not a url", "web"),
    ],
)
def test_site_of(url: str, site: str) -> None:
    assert site_of(url) == site
    assert site in SITES


def test_host_of() -> None:
    assert host_of("HTTPS://Blog.CSDN.net:8080/x") == "blog.csdn.net"
    assert host_of("https://bücher.example/") == "xn--bcher-kva.example"
    assert host_of("mailto:me@example.com") == ""
    assert host_of("http://") == ""


def test_generic_params_are_kept_off_the_chinese_sites() -> None:
    # `lang`/`version`/`from` select content on ordinary sites; they track only on WeChat etc.
    assert normalize("https://docs.example.com/?lang=en&version=2&from=3") == (
        "https://docs.example.com/?lang=en&version=2&from=3"
    )
    assert normalize("https://example.com/p?from=timeline") == "https://example.com/p"
    assert is_tracking("utm_campaign")
    assert is_tracking("scene", site="wechat")
    assert not is_tracking("scene")


# -- properties ----------------------------------------------------------------------

_hosts = st.sampled_from(
    [
        "mp.weixin.qq.com",
        "zhuanlan.zhihu.com",
        "github.com",
        "blog.csdn.net",
        "www.cnblogs.com",
        "example.com",
        "Docs.Example.ORG",
        "bücher.example",
    ]
)
_segment = st.text(
    alphabet=st.sampled_from(list("abcXYZ019-._~%20中文()!$&'*+,;=:@ ")), min_size=0, max_size=8
)
_names = st.sampled_from(
    [
        "q",
        "id",
        "page",
        "utm_source",
        "utm_medium",
        "spm",
        "chksm",
        "scene",
        "srcid",
        "sharer_sharetime",
        "from",
        "lang",
        "__biz",
        "mid",
        "idx",
        "sn",
        "a b",
        "%41",
    ]
)
_values = st.text(alphabet=st.sampled_from(list("ab1=%2B+中 /?")), max_size=6)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_segment, max_size=4)))
    params = draw(st.lists(st.tuples(_names, _values), max_size=5))
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#rd", "#wechat_redirect", "#top", "#/route", ""]))
    url = f"{scheme}://{host}{port}/{path}"
    if query or draw(st.booleans()):
        url += "?" + query
    return url + fragment


@settings(max_examples=300, deadline=None)
@given(urls())
def test_normalize_is_idempotent(url: str) -> None:
    key = normalize(url)
    if key is not None:
        assert normalize(key) == key


@settings(max_examples=300, deadline=None)
@given(urls())
def test_no_tracking_parameter_survives(url: str) -> None:
    key = normalize(url)
    if key is None:
        return
    parts = urlsplit(key)
    site = site_of(key)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        assert not is_tracking(name, value, site=site), (url, key)
    assert not parts.fragment or parts.fragment.startswith(("/", "!/"))
    assert parts.scheme == "https" or site == "web"
    assert parts.netloc == parts.netloc.lower()


@settings(max_examples=200, deadline=None)
@given(urls(), st.sampled_from(["?utm_source=x", "?spm=1.2", "#section", "?", ""]))
def test_tracking_suffix_and_case_collapse(url: str, suffix: str) -> None:
    base = url.split("#")[0].split("?")[0].strip()
    if normalize(base) is None:
        return
    assert normalize(base + suffix) == normalize(base)
    upper = base.replace(urlsplit(base).netloc, urlsplit(base).netloc.upper(), 1)
    assert normalize(upper) == normalize(base)


_plain_urls = st.builds(
    "{}://{}{}".format,
    st.sampled_from(["http", "https"]),
    _hosts.map(str.lower).filter(str.isascii)
    | st.from_regex(r"[a-z0-9-]{1,8}(\.[a-z0-9-]{1,5}){0,2}", fullmatch=True),
    st.from_regex(r"(/[A-Za-z0-9._~-]{0,6}){0,4}", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(_plain_urls | urls())
def test_short_cut_agrees_with_the_full_normalisation(url: str) -> None:
    assert normalize(url) == _normalize(url)


def test_split_canonical() -> None:
    assert split_canonical("https://user@blog.csdn.net:8080/x") == ("blog.csdn.net", "csdn")
    assert split_canonical("https://blog.csdn.net/x") == ("blog.csdn.net", "csdn")
    assert split_canonical("https://[::1]:8080/x") == ("[::1]", "web")
    assert split_canonical(ARTICLE) == ("mp.weixin.qq.com", "wechat")

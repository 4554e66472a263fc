"""Hostile requests and odd libraries: nothing breaks (no 500), nothing is let through."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from html import unescape
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import pytest
from web_library import WECHAT_TITLE, make_client

from freshness_library import add_link
from linkindex.store import Store
from linkindex.web.safety import MAX_PARAMETER

if TYPE_CHECKING:
    from starlette.testclient import TestClient

TOKEN = "s3cret-token-123"
OUTSIDE = "http://192.168.1.20:8765"
LOOPBACK = "http://127.0.0.1:8765"
WECHAT = "https://mp.weixin.qq.com/s/Abc123PyTorchMemory"
TOO_BIG = str(2**63)  # one more than SQLite's largest row id


@pytest.fixture
def careful(web_home: Path) -> Iterator[TestClient]:
    """A client that shows a server error as a 500 answer rather than raising it."""
    with make_client(web_home, LOOPBACK, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        f"/link/{TOO_BIG}",
        f"/link/{TOO_BIG}/read",
        f"/api/link/{TOO_BIG}",
        "/link/99999999999999999999999999",
        "/api/link/99999999999999999999999999",
        "/link/0",
    ],
)
def test_a_link_id_past_sqlite_is_not_found(careful: TestClient, path: str) -> None:
    response = careful.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.json() == {
            "error": f"no link with id {path.rsplit('/', 1)[1]}",
            "status": 404,
        }


#: Values that are no number the UI takes, though int() takes many of them ('١٢٣',
#: '１２３', ' 1', '+1', '1_0') and refuses others with ValueError (more than 4,300 digits).
HOSTILE_NUMBERS = [
    "1" * 4301,
    "1" * 4300,
    "9" * 20,
    "9" * 19,
    "0" * 30 + "1",
    "0",
    "-1",
    "+1",
    "1e3",
    "1.0",
    "0x10",
    "1_0",
    "١٢٣",
    "１２３",
    "²",
    "½",
    " 1",
    "1 ",
    "\t1",
    "1\r\n",
    "\x00",
    "%",
    "",
]

#: Every route that reads a number from its path, with ``{}`` where the number goes.
NUMBER_PATHS = ["/link/{}", "/link/{}/read", "/api/link/{}", "/image/{}"]
#: Every route that reads a number from its query: (path, parameter).
NUMBER_PARAMETERS = [
    (route, name) for route in ("/", "/search/part", "/api/search") for name in ("page", "limit")
]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS)
def test_no_number_in_a_path_or_a_parameter_breaks_a_route(careful: TestClient, value: str) -> None:
    for route in NUMBER_PATHS:
        path = route.format(quote(value, safe=""))
        response = careful.get(path, follow_redirects=True)
        # (``/api/link/`` is redirected to ``/api/link``, which asks for ``?url=``: 400)
        expected = 404 if value or route != "/api/link/{}" else 400
        assert response.status_code == expected, (path[:60], response.status_code)
        if route.startswith("/api/") and value:
            error = response.json()["error"]
            assert error.startswith("no link with id ") and len(error) < 80
    for route, name in NUMBER_PARAMETERS:
        response = careful.get(route, params={name: value, "q": "pytorch"})
        expected = 200 if value == "" else 400
        assert response.status_code == expected, (route, name, value[:40], response.status_code)
        if expected == 400 and route.startswith("/api/"):
            assert name in response.json()["error"]


def test_a_number_in_ascii_digits_still_opens_its_page(
    client: TestClient, library: dict[str, int]
) -> None:
    link_id = min(library.values())
    for route in NUMBER_PATHS[:3]:
        assert client.get(route.format(link_id)).status_code == 200
        assert client.get(route.format(f"000{link_id}")).status_code == 200
    found = client.get("/api/search", params={"q": "pytorch", "page": "1", "limit": "007"})
    assert found.status_code == 200 and found.json()["query"]["limit"] == 7


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/export", "q"),
        ("/api/export", "topic"),
        ("/api/search", "q"),
        ("/api/search", "topic"),
        ("/api/topics", "topic"),
        ("/api/link", "url"),
        ("/api/health", "anything"),
        ("/", "q"),
        ("/search/part", "q"),
        ("/topics", "topic"),
        ("/health", "x"),
    ],
)
def test_every_parameter_of_every_route_is_capped(
    careful: TestClient, path: str, name: str
) -> None:
    response = careful.get(path, params={name: "显" * (MAX_PARAMETER + 1)})
    assert response.status_code == 400
    message = f"the parameter {name} is longer than {MAX_PARAMETER} characters"
    if path.startswith("/api/"):
        assert response.json() == {"error": message, "status": 400}
    else:
        assert message in response.text  # the error page
        assert response.headers["content-type"].startswith("text/html")


def test_a_long_export_query_is_refused_before_any_work(careful: TestClient) -> None:
    assert careful.get("/api/export", params={"q": "gpu " * 15_000}).status_code == 400
    at_the_cap = careful.get("/api/export", params={"q": "显" * MAX_PARAMETER, "format": "md"})
    assert at_the_cap.status_code == 200


@pytest.mark.parametrize(
    ("raw", "location"),
    [
        ("//evil.example/?token=T&topic=x", "/evil.example/?topic=x"),
        ("///evil.example/?token=T", "/evil.example/"),
        ("/\\evil.example/?token=T", "/evil.example/"),
        ("/%2F%2Fevil.example/?token=T", "/%2F%2Fevil.example/"),
        ("/topics?token=T&topic=Pytorch", "/topics?topic=Pytorch"),
    ],
)
def test_the_token_redirect_stays_on_this_server(web_home: Path, raw: str, location: str) -> None:
    with make_client(web_home, OUTSIDE, token=TOKEN) as client:
        response = client.get(OUTSIDE + raw.replace("T", TOKEN, 1))
    assert response.status_code == 303
    assert response.headers["location"] == location
    assert not re.match(r"^[/\\]{2}|^[a-z]+:", response.headers["location"])
    assert "linkindex_token=" in response.headers["set-cookie"]


def test_an_api_snippet_marks_the_terms_and_escapes_the_rest(client: TestClient) -> None:
    hits = client.get("/api/search", params={"q": "alert"}).json()["hits"]
    page_hit = next(hit for hit in hits if hit["title"] == WECHAT_TITLE)
    assert page_hit["snippet"] == (
        "…练、梯度检查点、减小 batch size，以及用 torch.cuda.empty_cache 释放缓存。"
        "显存优化的关键是先测量再动手。 &lt;script&gt;<mark>alert</mark>('snapshot')"
        "&lt;/script&gt; 这一行来自网页，必须原样显示。"
    )


def test_a_link_has_related_links(client: TestClient, library: dict[str, int]) -> None:
    related = client.get(f"/api/link/{library[WECHAT]}").json()["related"]
    urls = [hit["url"] for hit in related]
    assert {"https://github.com/pytorch/pytorch", "https://zhuanlan.zhihu.com/p/31558973"} <= set(
        urls
    )
    assert WECHAT not in urls
    assert all(hit["page"] == f"/link/{hit['link_id']}" for hit in related)


# -- a library with odd headings and hostile text ------------------------------------------

ODD_HEADING = "C++ > Rust"
CONTROL = "\x00\x1b[2J\x07\ufffe"


@pytest.fixture(scope="module")
def odd_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("odd") / "home"
    with Store(home) as store:
        add_link(store, "https://rust.example/a", topic=["语言", ODD_HEADING], title="所有权")
        add_link(store, "https://rust.example/b", topic=["语言", "Rust"], title="生命周期")
        add_link(
            store,
            "https://hostile.example/c",
            status="ok",
            topic=[f"控制{CONTROL}"],
            title=f"标题{CONTROL}",
            page={"title": f"网页{CONTROL}", "text": f"正文{CONTROL}"},
        )
    return home


def hrefs(html: str) -> list[str]:
    return [unescape(found) for found in re.findall(r'href="([^"]*)"', html)]


def test_the_webs_own_link_to_a_topic_with_a_greater_than_sign_opens(odd_home: Path) -> None:
    with make_client(odd_home, LOOPBACK) as client:
        tree = client.get("/topics")
        assert tree.status_code == 200
        [link] = [href for href in hrefs(tree.text) if "C%2B%2B" in href]
        page = client.get(link)
        assert page.status_code == 200, page.text
        assert "所有权" in page.text and "生命周期" not in page.text
        exports = [href for href in hrefs(page.text) if href.startswith("/api/export")]
        assert exports
        markdown = client.get(next(h for h in exports if "format=md" in h))
        assert markdown.status_code == 200
        assert "所有权" in markdown.text and "生命周期" not in markdown.text
        api = client.get("/api/topics", params={"topic": f"语言 > {ODD_HEADING}"}).json()
        assert [one["title"] for one in api["links"]] == ["所有权"]
        crumbs = client.get("/link/1")
        for href in (h for h in hrefs(crumbs.text) if h.startswith("/topics?")):
            assert client.get(href).status_code == 200


def test_the_web_export_writes_an_epub_whatever_the_text(odd_home: Path) -> None:
    with make_client(odd_home, LOOPBACK, raise_server_exceptions=False) as client:
        response = client.get("/api/export", params={"format": "epub"})
        assert response.status_code == 200
        with zipfile.ZipFile(BytesIO(response.content)) as book:
            for name in book.namelist():
                if name.endswith((".xhtml", ".ncx", ".opf")):
                    ET.fromstring(book.read(name))
        opml = client.get("/api/export", params={"format": "opml"})
        assert ET.fromstring(opml.content).find("body") is not None


#: Two headings whose path is longer than a parameter may be (a paragraph typed as a heading).
LONG_HEADING = "显存优化与训练加速的各种方法整理" * 40
LONG_PATH = ["深度学习框架", LONG_HEADING, "参考"]


@pytest.fixture(scope="module")
def long_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("long") / "home"
    with Store(home) as store:
        add_link(store, "https://long.example/a", topic=LONG_PATH, title="梯度检查点")
        add_link(store, "https://long.example/b", topic=LONG_PATH[:2], title="混合精度")
        add_link(store, "https://short.example/c", topic=["深度学习框架"], title="模型并行")
    return home


def test_the_webs_own_links_to_a_topic_longer_than_a_parameter_open(long_home: Path) -> None:
    assert len(" > ".join(LONG_PATH)) > MAX_PARAMETER
    with make_client(long_home, LOOPBACK) as client:
        tree = client.get("/topics")
        assert tree.status_code == 200
        links = list(dict.fromkeys(h for h in hrefs(tree.text) if h.startswith("/topics?topic=")))
        assert len(links) == 3  # one per heading of the tree
        opened = {}
        for href in links:
            page = client.get(href)
            assert page.status_code == 200, (href, page.text[:200])
            assert len(href) < 2 * MAX_PARAMETER
            opened[href] = page.text
        deepest = next(text for text in opened.values() if "混合精度" not in text)
        assert "梯度检查点" in deepest and "模型并行" not in deepest
        # every link on those pages that carries the topic opens too: export, search, crumbs
        for text in opened.values():
            for href in hrefs(text):
                if "topic=" in href:
                    assert client.get(href).status_code == 200, href
        for link_id in (1, 2):
            crumbs = client.get(f"/link/{link_id}")
            for href in (h for h in hrefs(crumbs.text) if "topic=" in h):
                assert client.get(href).status_code == 200, href
        search = client.get("/", params={"q": "梯度检查点"})
        for href in (h for h in hrefs(search.text) if "topic=" in h):
            assert client.get(href).status_code == 200, href
        api = client.get("/api/topics").json()
        deep = api["topics"][0]["children"][0]["children"][0]
        assert deep["path"] == LONG_PATH and len(deep["topic"]) <= MAX_PARAMETER
        listed = client.get("/api/topics", params={"topic": deep["topic"]}).json()
        assert [one["title"] for one in listed["links"]] == ["梯度检查点"]
        # the cap itself stays, for every parameter of every route
        assert client.get("/topics", params={"topic": " > ".join(LONG_PATH)}).status_code == 400


@pytest.mark.parametrize(
    "query",
    ["bidi\u202egpj.md", "../../etc/passwd", "..\\..\\x", "a\u2066b\u200bc\u00adz", ".hidden"],
)
def test_both_file_names_of_a_web_export_are_sanitised_alike(
    careful: TestClient, query: str
) -> None:
    response = careful.get("/api/export", params={"q": query, "format": "md"})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    plain = re.search(r'filename="([^"]*)"', disposition)
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert plain and encoded, disposition
    name = unquote(encoded.group(1))
    for shown in (plain.group(1), name):
        assert not re.search("[/\\\\\u202a-\u202e\u2066-\u2069\u200b\u00ad]", shown), shown
        assert shown.startswith("linkindex-") and shown.endswith(".md"), shown
    assert plain.group(1) == re.sub(r"[^A-Za-z0-9._-]+", "_", name)

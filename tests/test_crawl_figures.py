"""Figures through a real crawl: article and image hosts are local servers reached by
their real names through the tests' proxy (which stands in for DNS)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawl_servers import FIXTURES as CRAWL_FIXTURES
from crawl_servers import Proxy, add_links, assert_interval_kept, fast_settings
from image_bytes import gif, jpeg_header, png, webp_lossy
from linkindex.config import ArchiveSettings, ImageSettings, Settings, SiteSettings
from linkindex.crawl import CrawlSelection, CrawlSummary, crawl
from linkindex.snapshots import Images, content_hash
from linkindex.store import Store

FIGURES = CRAWL_FIXTURES.parent / "figures"
HOSTS = (
    "mp.weixin.qq.com",
    "mmbiz.qpic.cn",
    "zhuanlan.zhihu.com",
    "pic1.zhimg.com",
    "pic3.zhimg.com",
    "blog.csdn.net",
    "img-blog.csdnimg.cn",
    "blog.example.com",
    "cdn.example.org",
    "raw.githubusercontent.com",
    "news.example.com",
    "archive.example.org",
)
#: What WeChat's image host sends for a request with a foreign Referer.
PLACEHOLDER = png(470, 349, (240, 240, 240))
WECHAT = "http://mp.weixin.qq.com/s/Fig123"
ARCH = "/mmbiz_png/Zq3kArch01/640?wx_fmt=png&from=appmsg"
CACHE = "/mmbiz_jpg/Zq3kACache02/640?wx_fmt=jpeg"
FLASH = "/mmbiz_gif/Zq3kAFlash03/640?wx_fmt=gif"

Answer = Response | bytes | Callable[[Request], Response]


@dataclass
class Seen:
    host: str
    target: str  # path and query
    headers: dict[str, str]
    at: float


@dataclass
class Web:
    """Every name of HOSTS answers from ``routes[(host, path?query)]`` (or, without that,
    ``routes[(host, path)]``); ``seen`` logs every request."""

    routes: dict[tuple[str, str], Answer] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Request) -> Response:
        query = request.query_string.decode()
        target = request.path + (f"?{query}" if query else "")
        host = request.host.split(":")[0]
        with self.lock:
            self.seen.append(Seen(host, target, dict(request.headers), time.monotonic()))
        found = self.routes.get((host, target)) or self.routes.get((host, request.path))
        if found is None:
            return Response("not here", status=404)
        if isinstance(found, bytes):
            return Response(found, content_type="application/octet-stream")
        if isinstance(found, Response):
            return found
        return found(request)

    def page(self, url: str, body: bytes) -> None:
        """Serve an article (its https:// addresses turned into http://, which the proxy
        carries) at ``url``."""
        self.routes[_key(url)] = Response(
            body.replace(b"https://", b"http://"), content_type="text/html; charset=utf-8"
        )

    def asked(self, host: str) -> list[str]:
        with self.lock:
            return [seen.target for seen in self.seen if seen.host == host]


def document(title: str, body: str) -> bytes:
    """An HTML page with ``body`` as its article."""
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def _key(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    host, _, target = rest.partition("/")
    return host, "/" + target


@pytest.fixture
def web(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    routes = Web()
    server.expect_request(re.compile("^/.*")).respond_with_handler(routes.answer)
    names = {name: f"127.0.0.1:{server.port}" for name in HOSTS}
    with Proxy(names) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        yield routes


@pytest.fixture
def db(home: Path) -> Iterator[Store]:
    store = Store(home)
    yield store
    store.close()


def settings(**images: Any) -> Settings:
    """Test settings with quick image hosts unless ``images`` says otherwise."""
    chosen = {"per_host_interval": 0.0, **images}
    return replace(fast_settings(), images=ImageSettings(**chosen))


def run(store: Store, home: Path, chosen: Settings | None = None, **selection: Any) -> CrawlSummary:
    return crawl(store, home, chosen or settings(), selection=CrawlSelection(**selection))


def stored(store: Store, link_id: int) -> list[tuple[str, str, int, int | None, int | None]]:
    """The link's stored figures: (address, sha256, bytes, width, height), in order."""
    (record,) = store.link_records([link_id])
    return [(i.url, i.sha256, i.bytes, i.width, i.height) for i in record.images]


def wechat_images(web: Web) -> dict[str, bytes]:
    """WeChat's image host: the figure without a Referer (or with WeChat's own), the
    placeholder for any other Referer."""
    figures = {ARCH: png(1080, 608), CACHE: jpeg_header(900, 540), FLASH: gif(80, 40)}

    def answer(request: Request, body: bytes) -> Response:
        referer = request.headers.get("Referer", "")
        if referer and not referer.startswith("https://mp.weixin.qq.com/"):
            return Response(PLACEHOLDER, content_type="image/png")
        return Response(body, content_type="image/png")  # (WeChat says png for everything)

    for target, body in figures.items():
        web.routes[("mmbiz.qpic.cn", target)] = lambda request, body=body: answer(request, body)
    return figures


def test_wechat_figures_are_the_real_pictures_in_order(db: Store, home: Path, web: Web) -> None:
    web.page(WECHAT, (FIGURES / "wechat.html").read_bytes())
    figures = wechat_images(web)
    (link_id,) = add_links(db, [WECHAT])
    summary = run(db, home)
    assert summary.counts == {"ok": 1}
    assert summary.figures.stored == 3
    sizes = {ARCH: (1080, 608), CACHE: (900, 540), FLASH: (80, 40)}
    assert stored(db, link_id) == [
        ("http://mmbiz.qpic.cn" + t, content_hash(figures[t]), len(figures[t]), *sizes[t])
        for t in (ARCH, CACHE, FLASH)
    ]
    record = db.link_records([link_id])[0]
    assert [i.content_type for i in record.images] == ["image/png", "image/jpeg", "image/gif"]
    images = Images(home)
    for image in record.images:
        assert images.get(image.sha256) == figures[image.url.split("mmbiz.qpic.cn")[1]]
    image_requests = [seen for seen in web.seen if seen.host == "mmbiz.qpic.cn"]
    assert sorted(seen.target for seen in image_requests if "robots" not in seen.target) == sorted(
        figures
    )  # the avatar and the QR code beside the article are not fetched
    assert not any("Referer" in seen.headers for seen in image_requests)
    assert all(seen.headers["Accept"].startswith("image/") for seen in image_requests)


def test_a_post_made_only_of_pictures_keeps_them(db: Store, home: Path, web: Web) -> None:
    url = "http://mp.weixin.qq.com/s/Pic9k"
    web.page(url, (FIGURES / "wechat_pictures.html").read_bytes())
    pictures = {
        "/mmbiz_png/Pic9kLayers01/640": png(1080, 1920, (20, 20, 60)),
        "/mmbiz_png/Pic9kSram02/640": png(1080, 1920, (20, 60, 20)),
        "/mmbiz_jpg/Pic9kHbm03/640": jpeg_header(1080, 1920),
    }
    for target, body in pictures.items():
        web.routes[("mmbiz.qpic.cn", target)] = body
    (link_id,) = add_links(db, [url])
    summary = run(db, home)
    assert summary.counts == {"ok": 1}
    assert [sha for _url, sha, *_ in stored(db, link_id)] == [
        content_hash(body) for body in pictures.values()
    ]
    (record,) = db.link_records([link_id])
    assert record.page is not None
    # the article is its pictures; the frame around them is not stored as its text
    assert (record.page.extractor, record.page.text) == ("wechat", "")
    assert record.page.title == "一图看懂 GPU 的存储层次"


def test_a_post_made_only_of_pictures_is_kept_for_the_browser_too(home: Path) -> None:
    """Its snapshot is kept when the crawl may still try the browser on pages without
    text: the extractor found the article in its pictures."""
    from linkindex.crawl.extraction import extract_and_keep, scripted

    body = (FIGURES / "wechat_pictures.html").read_bytes()
    headers = {"content-type": "text/html; charset=utf-8"}
    url = "https://mp.weixin.qq.com/s/Pic9k"
    page, snapshot = extract_and_keep(str(home), body, url, headers, content_hash(body), False)
    assert (page.extractor, len(page.figures)) == ("wechat", 3)
    assert snapshot is not None and snapshot.hash == content_hash(body)
    assert not scripted(page, headers, body)
    # the same page with neither text nor figures is one whose scripts may write it
    assert scripted(replace(page, figures=[]), headers, body)


def with_site(chosen: Settings, site: str, **values: Any) -> Settings:
    return replace(chosen, sites={**chosen.sites, site: SiteSettings(**values)})


def test_a_sites_image_referer_goes_with_its_figures(db: Store, home: Path, web: Web) -> None:
    web.page(WECHAT, (FIGURES / "wechat.html").read_bytes())
    figures = wechat_images(web)
    (link_id,) = add_links(db, [WECHAT])
    run(db, home, with_site(settings(), "wechat", image_referer="https://mp.weixin.qq.com/"))
    assert [sha for _url, sha, *_ in stored(db, link_id)] == [
        content_hash(figures[target]) for target in (ARCH, CACHE, FLASH)
    ]
    referers = {s.headers.get("Referer") for s in web.seen if s.host == "mmbiz.qpic.cn"}
    assert referers == {"https://mp.weixin.qq.com/"}


def test_placeholder_bytes_for_many_addresses_are_never_kept(
    db: Store, home: Path, web: Web
) -> None:
    body = (FIGURES / "wechat.html").read_bytes()
    second = "http://mp.weixin.qq.com/s/Other456"
    web.page(WECHAT, body)
    web.page(second, body.replace(b"Zq3kA", b"Yw8pB"))  # other articles: other addresses
    wechat_images(web)
    for target in (ARCH, CACHE, FLASH):
        other = target.replace("Zq3kA", "Yw8pB")
        web.routes[("mmbiz.qpic.cn", other)] = web.routes[("mmbiz.qpic.cn", target)]
    first, other = add_links(db, [WECHAT, second])
    foreign = with_site(settings(), "wechat", image_referer="https://reader.example.net/")
    summary = run(db, home, foreign)
    assert summary.counts == {"ok": 2}
    assert stored(db, first) == stored(db, other) == []
    assert summary.figures.placeholders == [content_hash(PLACEHOLDER)]
    assert db.placeholder_hashes() == {content_hash(PLACEHOLDER)}
    assert not Images(home).exists(content_hash(PLACEHOLDER))
    assert {row["state"] for row in db.figures_not_kept(first) + db.figures_not_kept(other)} == {
        "refused"
    }
    assert db.image_stats()["images"] == 0
    # the crawl's summary says so, for the first article's figures too (they looked like
    # figures until the second article's showed the same bytes)
    assert (summary.figures.stored, summary.figures.refused) == (0, 6)
    assert summary.figures.new_bytes == 0


WORDS = "<p>" + "This repository implements activation-aware weight quantization. " * 4 + "</p>"


def test_one_diagram_shown_by_several_repositories_is_kept(db: Store, home: Path, web: Web) -> None:
    """raw.githubusercontent.com serves the same file of three repositories: one figure
    shared (the same name), not a placeholder."""
    diagram = png(640, 360, (12, 34, 56))
    pages = []
    for repo in ("awq", "smoothquant", "tinychat"):
        address = f"http://raw.githubusercontent.com/mit-han-lab/{repo}/main/figures/overview.png"
        figure = f'<p><img src="{address}" alt="overview"></p>'
        pages.append(f"http://news.example.com/{repo}")
        web.page(pages[-1], document(repo, WORDS + figure + WORDS))
        web.routes[_key(address)] = diagram
    ids = add_links(db, pages)
    summary = run(db, home)
    assert [[sha for _url, sha, *_ in stored(db, link_id)] for link_id in ids] == [
        [content_hash(diagram)]
    ] * 3
    assert Images(home).exists(content_hash(diagram))
    assert db.placeholder_hashes() == set()
    assert summary.figures.to_dict() == {
        "stored": 3,
        "new_bytes": len(diagram),
        "failed": 0,
        "refused": 0,
        "placeholders": [],
    }


def test_a_large_picture_under_new_addresses_is_no_placeholder(
    db: Store, home: Path, web: Web
) -> None:
    """An account's banner re-uploaded in each article: unrelated addresses, the same
    bytes, but a picture far larger than any placeholder is a picture."""
    banner = jpeg_header(1080, 1440, filler=300_000)
    pages = []
    for number in range(3):
        address = f"http://mmbiz.qpic.cn/mmbiz_jpg/Bn{number}nerX{number}/640?wx_fmt=jpeg"
        pages.append(f"http://news.example.com/banner{number}")
        web.page(pages[-1], document(f"第 {number} 期", WORDS + f'<p><img src="{address}"></p>'))
        web.routes[_key(address)] = banner
    ids = add_links(db, pages)
    summary = run(db, home)
    assert [len(stored(db, link_id)) for link_id in ids] == [1, 1, 1]
    assert (summary.figures.stored, summary.figures.placeholders) == (3, [])


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("https://mmbiz.qpic.cn/mmbiz_png/Zq3kArch01/640?wx_fmt=png", "zq3karch01"),
        ("https://mmbiz.qpic.cn/sz_mmbiz_jpg/Yw8pB/0?wx_fmt=jpeg", "yw8pb"),
        ("https://raw.githubusercontent.com/o/awq/main/figures/overview.png", "overview.png"),
        ("https://img-blog.csdnimg.cn/20210601093001123.png", "20210601093001123.png"),
        ("https://pic1.zhimg.com/80/v2-loss0001_720w.jpg", "v2-loss0001_720w.jpg"),
        ("https://img.example.com/photos/1280x720", "photos"),
        ("https://img.example.com/123/456", "/123/456"),
    ],
)
def test_the_name_a_figure_address_gives_its_picture(address: str, name: str) -> None:
    from linkindex.crawl.figures import picture_name

    assert picture_name(address) == name


def test_a_shipped_placeholder_is_refused_at_once(
    db: Store, home: Path, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linkindex.crawl.figures

    web.page(WECHAT, (FIGURES / "wechat.html").read_bytes())
    figures = wechat_images(web)
    known = frozenset({content_hash(figures[CACHE])})
    monkeypatch.setattr(linkindex.crawl.figures, "shipped_placeholders", lambda: known)
    (link_id,) = add_links(db, [WECHAT])
    run(db, home)
    assert [url for url, *_ in stored(db, link_id)] == [
        "http://mmbiz.qpic.cn" + ARCH,
        "http://mmbiz.qpic.cn" + FLASH,
    ]
    assert db.figures_not_kept(link_id) == [
        {"url": "http://mmbiz.qpic.cn" + CACHE, "state": "refused", "error": "hotlink placeholder"}
    ]


def test_placeholder_list_format() -> None:
    from linkindex.crawl.figures import parse_placeholders, shipped_placeholders

    text = (
        "# comment\n"
        f"{'a' * 64}  mmbiz.qpic.cn  WeChat's placeholder, 470x349\n"
        f"{'B' * 64} img.example.com # upper case is read as lower case\n"
        "not-a-hash mmbiz.qpic.cn\n"
        f"{'c' * 64}\n"  # no host: not an entry
    )
    assert parse_placeholders(text) == {"a" * 64: "mmbiz.qpic.cn", "b" * 64: "img.example.com"}
    assert shipped_placeholders() == frozenset()  # see the file: none can be justified yet


# -- other sites ---------------------------------------------------------------------------

ZHIHU = "http://zhuanlan.zhihu.com/p/3456789"
CSDN = "http://blog.csdn.net/zhou_algo/article/details/117456789"
BLOG = "http://blog.example.com/posts/loss-curves"


def test_zhihu_csdn_and_generic_figures(db: Store, home: Path, web: Web) -> None:
    web.page(ZHIHU, (FIGURES / "zhihu.html").read_bytes())
    web.page(CSDN, (FIGURES / "csdn.html").read_bytes())
    web.page(BLOG, (FIGURES / "blog.html").read_bytes())
    pictures = {
        ("pic1.zhimg.com", "/v2-loss0001_r.jpg"): jpeg_header(1280, 720),
        ("pic3.zhimg.com", "/v2-scale002_b.png"): png(960, 540),
        ("img-blog.csdnimg.cn", "/20210601093001123.png"): png(800, 500, (1, 2, 3)),
        ("img-blog.csdnimg.cn", "/img_convert/5f0e6d2b1c4a.jpeg"): webp_lossy(640, 480),
        ("blog.example.com", "/images/2022/healthy-run.png"): png(600, 300, (9, 9, 9)),
        ("blog.example.com", "/images/2022/overfit-1080.jpg"): jpeg_header(1080, 700),
        ("cdn.example.org", "/charts/underfit"): gif(30, 20),
    }
    web.routes.update(pictures)
    zhihu, csdn, blog = add_links(db, [ZHIHU, CSDN, BLOG])
    summary = run(db, home)
    assert summary.counts == {"ok": 3}
    assert summary.figures.stored == 7

    def expected(*keys: tuple[str, str]) -> list[tuple[str, str]]:
        return [
            (f"http://{host}{target}", content_hash(pictures[host, target]))
            for host, target in keys
        ]

    def found(link_id: int) -> list[tuple[str, str]]:
        return [(url, sha) for url, sha, *_ in stored(db, link_id)]

    assert found(zhihu) == expected(
        ("pic1.zhimg.com", "/v2-loss0001_r.jpg"), ("pic3.zhimg.com", "/v2-scale002_b.png")
    )
    assert found(csdn) == expected(
        ("img-blog.csdnimg.cn", "/20210601093001123.png"),
        ("img-blog.csdnimg.cn", "/img_convert/5f0e6d2b1c4a.jpeg"),
    )
    assert found(blog) == expected(
        ("blog.example.com", "/images/2022/healthy-run.png"),
        ("blog.example.com", "/images/2022/overfit-1080.jpg"),
        ("cdn.example.org", "/charts/underfit"),
    )
    (record,) = db.link_records([csdn])
    assert [(i.content_type, i.width, i.height) for i in record.images] == [
        ("image/png", 800, 500),
        ("image/webp", 640, 480),
    ]
    assert web.asked("pic1.zhimg.com") == ["/v2-loss0001_r.jpg"]  # full size only
    assert "/release/blogv2/dist/pc/img/original.png" not in web.asked("csdnimg.cn")


def test_two_articles_sharing_a_figure_store_it_once(db: Store, home: Path, web: Web) -> None:
    shared = png(320, 200, (7, 77, 177))
    article = (
        b"<html><head><title>%s</title></head><body><article><h1>%s</h1>%s</article></body></html>"
    )
    paragraph = (
        b"<p>A paragraph long enough for the extractor to keep it as the article's main "
        b"text rather than page furniture around it.</p>"
    )
    figure = b'<p><img src="http://cdn.example.org/shared/arch.png" alt="architecture"></p>'
    for name in (b"one", b"two"):
        web.page(
            f"http://news.example.com/{name.decode()}",
            article % (name, name, paragraph * 3 + figure + paragraph * 2),
        )
    web.routes["cdn.example.org", "/shared/arch.png"] = shared
    one, two = add_links(db, ["http://news.example.com/one", "http://news.example.com/two"])
    run(db, home)
    assert (
        stored(db, one)
        == stored(db, two)
        == [("http://cdn.example.org/shared/arch.png", content_hash(shared), len(shared), 320, 200)]
    )
    assert web.asked("cdn.example.org").count("/shared/arch.png") == 1
    files = [path for path in (home / "images").rglob("*") if path.is_file()]
    assert [path.name for path in files] == [content_hash(shared)]
    assert db.image_stats() == {"images": 1, "image_bytes": len(shared), "figures": 2}


# -- limits ----------------------------------------------------------------------------------


def gallery(web: Web, url: str, bodies: list[tuple[str, Answer]]) -> None:
    """An article whose figures are ``bodies`` on cdn.example.org, in order."""
    text = (
        "<p>Each picture below is one case of a chart reading guide; the text between them "
        "is long enough for the extractor to keep it as content.</p>"
    )
    figures = "".join(
        f'<p><img src="http://cdn.example.org{path}"></p>{text}' for path, _ in bodies
    )
    web.page(url, document("Gallery", text + figures))
    for path, body in bodies:
        web.routes["cdn.example.org", path] = body


def test_limits_on_count_size_and_type(db: Store, home: Path, web: Web) -> None:
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    big = png(2000, 2000, (5, 6, 7)) + b"\0" * 6000
    bodies: list[tuple[str, Answer]] = [
        ("/ok.png", Response(png(40, 30), content_type="text/html")),  # the bytes decide
        ("/big.png", big),
        ("/drawing", Response(svg, content_type="image/svg+xml")),
        ("/error-page.jpg", Response(b"<html>denied</html>", content_type="image/jpeg")),
        ("/bitmap", b"BM" + b"\0" * 100),
        ("/gone.png", Response("no", status=404)),
        ("/late.webp", webp_lossy()),  # the seventh: over max_per_page
    ]
    gallery(web, "http://news.example.com/gallery", bodies)
    (link_id,) = add_links(db, ["http://news.example.com/gallery"])
    summary = run(db, home, settings(max_per_page=6, max_bytes=5000))
    assert [url for url, *_ in stored(db, link_id)] == ["http://cdn.example.org/ok.png"]
    assert [
        (r["url"].rsplit("/", 1)[1], r["state"], r["error"]) for r in db.figures_not_kept(link_id)
    ] == [
        ("big.png", "refused", f"body of {len(big)} bytes is over the 5000-byte limit"),
        ("drawing", "refused", "SVG: linkindex keeps no SVG"),
        ("error-page.jpg", "refused", "not a PNG, JPEG, GIF or WebP picture (image/jpeg)"),
        ("bitmap", "refused", "not a PNG, JPEG, GIF or WebP picture (application/octet-stream)"),
        ("gone.png", "refused", "HTTP 404"),
    ]
    assert "/late.webp" not in web.asked("cdn.example.org")
    assert (summary.figures.stored, summary.figures.refused) == (1, 5)


def test_turned_off_no_figure_is_fetched(db: Store, home: Path, web: Web) -> None:
    gallery(web, "http://news.example.com/gallery", [("/ok.png", png())])
    (link_id,) = add_links(db, ["http://news.example.com/gallery"])
    run(db, home, settings(enabled=False))
    assert web.asked("cdn.example.org") == []
    assert db.figures_to_fetch(link_id) == [] and stored(db, link_id) == []


def test_image_hosts_keep_their_own_pace(db: Store, home: Path, web: Web) -> None:
    gallery(
        web,
        "http://news.example.com/gallery",
        [(f"/{n}.png", png(8, 8, (n, n, n))) for n in range(5)],
    )
    (link_id,) = add_links(db, ["http://news.example.com/gallery"])
    run(db, home, settings(per_host_interval=0.3, per_host_concurrency=1))
    assert len(stored(db, link_id)) == 5
    starts = [s.at for s in web.seen if s.host == "cdn.example.org" and s.target.endswith(".png")]
    assert_interval_kept(starts, 0.3)


def test_slow_images_do_not_hold_up_the_articles(db: Store, home: Path, web: Web) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(png(10, 10), content_type="image/png")

    urls = [f"http://news.example.com/a{n}" for n in range(3)]
    for n, url in enumerate(urls):
        gallery(web, url, [(f"/slow{n}.png", slow)])
    add_links(db, urls)
    chosen = settings()
    run(db, home, replace(chosen, crawl=replace(chosen.crawl, per_host_concurrency=1)))
    articles = [
        s.at for s in web.seen if s.host == "news.example.com" and s.target.startswith("/a")
    ]
    first_image = min(s.at for s in web.seen if s.target.startswith("/slow"))
    # all three articles were asked for before the first slow picture could have come back
    assert len(articles) == 3 and max(articles) < first_image + 1.0


# -- re-crawls -----------------------------------------------------------------------------


def test_recrawls_keep_what_they_have_and_fetch_only_new_figures(
    db: Store, home: Path, web: Web
) -> None:
    version = {"n": 1}

    def article(request: Request) -> Response:
        if version["n"] == 1 and request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        paths = ["/a.png", "/b.png"] if version["n"] == 1 else ["/b.png", "/c.png", "/a.png"]
        figures = "".join(
            f'<p><img src="http://cdn.example.org{path}"></p><p>{"Words of the article. " * 8}</p>'
            for path in paths
        )
        body = document(f"v{version['n']}", figures)
        return Response(body, content_type="text/html", headers={"ETag": f'"v{version["n"]}"'})

    web.routes["news.example.com", "/live"] = article
    flaky = iter([Response("busy", status=503)] * 3 + [Response(png(5, 5, (1, 1, 1)))])
    web.routes["cdn.example.org", "/a.png"] = png(5, 5, (0, 0, 0))
    web.routes["cdn.example.org", "/b.png"] = lambda request: next(flaky)
    web.routes["cdn.example.org", "/c.png"] = png(5, 5, (2, 2, 2))
    (link_id,) = add_links(db, ["http://news.example.com/live"])
    chosen = settings()
    chosen = replace(chosen, crawl=replace(chosen.crawl, retries=2))

    run(db, home, chosen)  # /b.png fails three times: kept for a later try
    assert [url[-5:] for url, *_ in stored(db, link_id)] == ["a.png"]
    assert [row["state"] for row in db.figures_not_kept(link_id)] == ["failed"]

    run(db, home, chosen, due_only=False)  # 304: the page stays, the failed figure is retried
    assert db.fetch_history(link_id)[0]["outcome"] == "not_modified"
    assert [url[-5:] for url, *_ in stored(db, link_id)] == ["a.png", "b.png"]
    assert web.asked("cdn.example.org").count("/a.png") == 1

    version["n"] = 2  # changed: figures reordered, one new
    run(db, home, chosen, due_only=False)
    assert [url[-5:] for url, *_ in stored(db, link_id)] == ["b.png", "c.png", "a.png"]
    asked = web.asked("cdn.example.org")
    assert (asked.count("/a.png"), asked.count("/c.png")) == (1, 1)
    assert asked.count("/b.png") == 4  # three failures, then the success


def test_figures_left_by_an_interrupted_crawl_are_fetched_next_time(
    db: Store, home: Path, web: Web
) -> None:
    gallery(web, "http://news.example.com/gallery", [("/p.png", png(12, 12))])
    (link_id,) = add_links(db, ["http://news.example.com/gallery"])
    run(db, home, settings(enabled=False))  # the page is kept; stand in for a crash:
    from linkindex.models.pages import Figure

    with db.transaction():
        db.save_figures(link_id, [Figure("http://cdn.example.org/p.png", 1)], archived=False)
    assert [task.url for task in db.figures_to_fetch(link_id)] == ["http://cdn.example.org/p.png"]
    summary = run(db, home)  # nothing is due, yet the pending figure is fetched
    assert summary.done == 0 and summary.figures.stored == 1
    assert [url for url, *_ in stored(db, link_id)] == ["http://cdn.example.org/p.png"]


def test_a_page_from_the_archive_gets_its_figures_from_the_archive(
    db: Store, home: Path, web: Web
) -> None:
    lost = "http://news.example.com/lost"
    web.routes[_key(lost)] = Response("gone", status=404)
    stamp = "20240101000000"
    copy = f"http://archive.example.org/web/{stamp}/{lost}"
    closest = {"available": True, "status": "200", "url": copy}
    web.routes["archive.example.org", "/wayback/available"] = Response(
        json.dumps({"archived_snapshots": {"closest": closest}}), content_type="application/json"
    )
    words = "<p>" + "The article as the archive kept it, word for word. " * 6 + "</p>"
    figures = "".join(
        f'<p><img src="http://cdn.example.org/{name}.png"></p>{words}' for name in ("old", "new")
    )
    web.page(f"http://archive.example.org/web/{stamp}id_/{lost}", document("Lost", words + figures))
    archived = png(20, 10, (50, 60, 70))
    web.routes["archive.example.org", f"/web/{stamp}im_/http://cdn.example.org/old.png"] = archived
    live = png(20, 10, (80, 90, 100))
    web.routes["cdn.example.org", "/new.png"] = live  # the archive lacks it: still online
    (link_id,) = add_links(db, [lost])
    api = "http://archive.example.org/wayback/available"
    chosen = replace(settings(), archive=ArchiveSettings(wayback_api=api))
    summary = run(db, home, chosen)
    assert (summary.counts, summary.archived) == ({"dead": 1}, 1)
    assert [(url, sha) for url, sha, *_ in stored(db, link_id)] == [
        ("http://cdn.example.org/old.png", content_hash(archived)),
        ("http://cdn.example.org/new.png", content_hash(live)),
    ]
    assert "/old.png" not in web.asked("cdn.example.org")


def test_pages_stored_without_figures_get_them_from_their_snapshots(
    db: Store, home: Path, web: Web
) -> None:
    web.page(WECHAT, (FIGURES / "wechat.html").read_bytes())
    figures = wechat_images(web)
    (link_id,) = add_links(db, [WECHAT])
    run(db, home, settings(enabled=False))  # as a library crawled before figures were kept
    assert web.asked("mmbiz.qpic.cn") == [] and db.figures_to_fetch(link_id) == []
    summary = run(db, home)  # nothing is due: the page is read again from its snapshot
    assert summary.done == 0 and summary.figures.stored == 3
    assert [sha for _url, sha, *_ in stored(db, link_id)] == [
        content_hash(figures[target]) for target in (ARCH, CACHE, FLASH)
    ]
    asked = len(web.seen)
    run(db, home)  # once only
    assert len(web.seen) == asked


def test_a_github_readme_from_the_api_is_read_again_too(db: Store, home: Path) -> None:
    import json as json_module

    from linkindex.crawl.figures import Figures
    from linkindex.snapshots import Snapshots
    from linkindex.store.rows import SnapshotPage

    readme = "# AWQ\n\nQuantize.\n\n![overview](figures/overview.png)\n"
    body = json_module.dumps({"repo": {"full_name": "mit-han-lab/llm-awq"}, "readme": readme})
    snapshots = Snapshots(home)
    digest = snapshots.put(body.encode()).hash
    page = SnapshotPage(
        1, "https://github.com/mit-han-lab/llm-awq", digest, "application/json", False
    )
    reader = Figures(db, Images(home), None, settings(), clock=lambda: None, snapshots=snapshots)  # type: ignore[arg-type]
    assert [f.url for f in reader._figures_of_snapshot(page) or []] == [
        "https://raw.githubusercontent.com/mit-han-lab/llm-awq/HEAD/figures/overview.png"
    ]


def test_a_figure_at_a_private_address_httpx_cannot_parse_is_refused(
    db: Store, home: Path, web: Web, server: HTTPServer
) -> None:
    text = "<p>" + "A paragraph long enough for the extractor to keep as content. " * 3 + "</p>"
    hosts = ["0177.0.0.1", "127.000.000.001", "１２７。０。０。１", "ｌｏｃａｌｈｏｓｔ"]
    figures = "".join(
        f'<p><img src="http://{host}:{server.port}/secret{n}.png"></p>{text}'
        for n, host in enumerate(hosts)
    )
    web.page("http://news.example.com/private", document("Private", text + figures))
    (link_id,) = add_links(db, ["http://news.example.com/private"])
    guarded = replace(settings(), crawl=replace(settings().crawl, allow_private_networks=False))
    summary = run(db, home, guarded)
    assert summary.counts == {"ok": 1}
    assert stored(db, link_id) == []
    assert [(row["state"], row["error"]) for row in db.figures_not_kept(link_id)] == [
        ("refused", f"refused: {host} is the private address 127.0.0.1") for host in hosts[:3]
    ] + [("refused", "refused: ｌｏｃａｌｈｏｓｔ is a private address")]
    assert not [seen for seen in web.seen if "secret" in seen.target]

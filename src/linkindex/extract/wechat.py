"""WeChat official-account articles (mp.weixin.qq.com).

An article page carries its fields twice: in the markup (``#activity-name``, ``#js_name``,
``#js_content``, which ships with ``visibility: hidden`` and ``data-src`` images until its
scripts run) and in script variables (``var msg_title``, ``var nickname``, ``var ct``).
Gone articles are ordinary 200 pages with a short message (该内容已被发布者删除 …), and a
burst of requests gets the 环境异常 verification page or a redirect to the captcha.
"""

from __future__ import annotations

import html as html_entities
import re

from lxml.html import HtmlElement

from linkindex.extract.dates import from_iso_text, from_local, from_unix
from linkindex.extract.document import (
    base_url_of,
    block_text,
    by_id,
    first_by_class,
    inline_text,
    meta,
    parse_html,
    scripts,
    title_tag,
)
from linkindex.extract.figures import place
from linkindex.models.pages import Page

#: Messages of pages whose article is gone for good (or moved, see ``moved_to``).
#: They are only looked for on pages without article text, so an article that quotes
#: one of them stays an article. The short forms cover the 此/该 and 帐号/账号 variants.
DEAD_MESSAGES: tuple[str, ...] = (
    "该公众号已迁移",  # first: its page also links the new article (moved_to)
    "已被发布者删除",
    "因违规无法查看",
    "涉嫌违反相关法律法规和政策",
    "经审核涉嫌侵权",
    "帐号已被屏蔽",
    "账号已被屏蔽",
    "帐号已被封禁",
    "账号已被封禁",
    "帐号已自主注销",
    "账号已自主注销",
    "帐号已被冻结",
    "该内容已被删除",
    "链接已过期",
    "参数错误",
)

#: Messages of verification pages: the article may well be there, we were not let in.
BLOCKED_MESSAGES: tuple[str, ...] = (
    "环境异常",
    "完成验证后即可继续访问",
    "安全验证",
    "访问过于频繁",
    "请在微信客户端打开链接",
)

#: Lines of the frame WeChat puts around every article (the QR-code box, the toolbar,
#: the "read more" prompts): a page whose other text is only these has no text.
CHROME: frozenset[str] = frozenset(
    {
        "微信扫一扫",
        "关注该公众号",
        "微信扫一扫可打开此内容，使用完整服务",
        "微信扫一扫 关注该公众号",
        "预览时标签不可点",
        "继续滑动看下一个",
        "向上滑动看下一个",
        "轻触阅读原文",
        "喜欢此内容的人还喜欢",
        "阅读原文",
        "原创",
        "知道了",
        "赞",
        "在看",
        "分享",
        "留言",
        "收藏",
        "听过",
        "写留言",
        "视频",
        "小程序",
        "取消",
        "允许",
    }
)

#: Where the captcha lives; the anti-bot redirect lands there.
CAPTCHA_MARK = "wappoc_appmsgcaptcha"

#: Fewer characters than this in ``#js_content`` is not an article (message pages
#: sometimes keep an empty article frame around their message).
_MIN_ARTICLE_CHARS = 20

_ARTICLE_LINK = re.compile(r"https?:(?://|\\/\\/)mp\.weixin\.qq\.com(?:/|\\/)s[^\s\"'<>]*")


def looks_like(doc: HtmlElement) -> bool:
    """Whether a page carries WeChat article markup, whatever host served it."""
    return by_id(doc, "js_content") is not None or by_id(doc, "activity-name") is not None


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a WeChat article, or judge a deleted/verification page dead or blocked."""
    if doc is None:
        doc = parse_html(html)
    source = scripts(doc)
    page = Page(extractor="wechat")
    if CAPTCHA_MARK in url:
        return _verdict(page, "blocked", "WeChat captcha (" + CAPTCHA_MARK + ")")

    content = by_id(doc, "js_content")
    share = by_id(doc, "js_share_content")
    # Images carry their address in data-src until WeChat's scripts run (extract.figures).
    images: list[HtmlElement] = []
    text = block_text(content, figures=images)
    if share is not None:  # a repost: the account's comment, then the reposted article
        shared = block_text(share, figures=images)
        text = "\n\n".join(part for part in (_share_notice(doc), shared, text) if part)
        original = by_id(doc, "js_share_source")
        if original is not None and original.get("href"):
            page.extra["repost_of"] = original.get("href")
    text, page.figures = place(text, images, base_url=base_url_of(doc, url))
    # An article of pictures only (a comic, a long infographic) is an article all the same.
    if len(text.replace("\n", "")) < _MIN_ARTICLE_CHARS and not page.figures:
        message = _message_page(page, doc, source)
        if message is not None:
            return message

    page.title = (
        inline_text(by_id(doc, "activity-name"))
        or meta(doc, "og:title", "twitter:title")
        or _variable(source, "msg_title")
        or title_tag(doc)
    )
    page.account = (
        inline_text(by_id(doc, "js_name"))
        or _variable(source, "nickname")
        or inline_text(first_by_class(doc, "profile_nickname"))
    )
    page.author = (
        inline_text(by_id(doc, "js_author_name"))
        or meta(doc, "author")
        or _variable(source, "author")
    )
    page.published_at = _published(doc, source)
    page.description = meta(doc, "og:description", "description") or _variable(source, "msg_desc")
    page.text = text
    return page


def _message_page(page: Page, doc: HtmlElement, source: str) -> Page | None:
    """The verdict of a page that holds a message instead of an article, if it is one."""
    shown = block_text(doc.body) if doc.body is not None else ""
    headline = inline_text(first_by_class(doc, "weui-msg__title")) or inline_text(
        first_by_class(doc, "global_error_msg")
    )
    if CAPTCHA_MARK in source:
        return _verdict(page, "blocked", headline or "WeChat captcha (" + CAPTCHA_MARK + ")")
    for marker in BLOCKED_MESSAGES:
        if marker in shown or marker in headline:
            return _verdict(page, "blocked", headline or marker)
    for marker in DEAD_MESSAGES:
        if marker in shown or marker in headline:
            page = _verdict(page, "dead", headline or marker)
            if marker == "该公众号已迁移":
                page.moved_to = _moved_to(doc, source)
            return page
    return None


def _verdict(page: Page, verdict: str, reason: str) -> Page:
    page.verdict = "blocked" if verdict == "blocked" else "dead"
    page.reason = reason
    page.figures = []  # a message page's pictures are not an article's figures
    return page


def _moved_to(doc: HtmlElement, source: str) -> str:
    """The new article a 该公众号已迁移 page points to: its button, else a script variable."""
    for anchor in doc.xpath("//a[@href]"):
        href = anchor.get("href", "")
        if "mp.weixin.qq.com/s" in href:
            return href
    match = _ARTICLE_LINK.search(source)
    if match:
        return _unescape(match.group(0))
    return ""


def _share_notice(doc: HtmlElement) -> str:
    notice = first_by_class(doc, "share_notice")
    return block_text(notice if notice is not None else by_id(doc, "js_share_notice"))


def _published(doc: HtmlElement, source: str) -> str | None:
    """The publish time: ``var ct`` (Unix seconds), else createTime/publish_time (Beijing)."""
    for name in ("ct", "create_time", "publish_time_unix"):
        value = _variable(source, name)
        if value and value.isdigit():
            moment = from_unix(value)
            if moment:
                return moment
    for name in ("createTime", "publish_time"):
        value = _variable(source, name)
        if value:
            moment = from_unix(value) if value.isdigit() else from_iso_text(value)
            if moment:
                return moment
    shown = inline_text(by_id(doc, "publish_time"))
    if shown:
        return from_local(shown)
    published = meta(doc, "article:published_time")
    return from_iso_text(published) if published else None


def _variable(source: str, name: str) -> str:
    """A string or number assigned to ``name`` in the page's scripts (``var x = "..."``,
    ``x: '...'``, ``"x": ...``), unescaped."""
    pattern = (
        r"(?:\bvar\s+|[\s,{;]|\")" + re.escape(name) + r"\"?\s*[:=]\s*"
        r"(?:htmlDecode\()?\s*(?:(['\"])(?P<text>(?:\\.|(?!\1).)*)\1|(?P<number>\d{6,}))"
    )
    match = re.search(pattern, source)
    if match is None:
        return ""
    return _unescape(match.group("text") if match.group("text") is not None else match["number"])


def _unescape(value: str) -> str:
    """Undo the escapes WeChat's scripts use: ``\\x26amp;``, ``\\/``, HTML entities."""
    value = re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), value)
    value = value.replace("\\/", "/").replace('\\"', '"').replace("\\'", "'")
    return html_entities.unescape(html_entities.unescape(value)).strip()

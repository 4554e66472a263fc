"""Zhihu column articles (zhuanlan.zhihu.com/p/…), questions and answers (www.zhihu.com).

Pages embed their whole state as JSON in ``<script id="js-initialData">``; when it is
there it is the most faithful source (full content HTML, Unix times, author objects), and
the markup (``.Post-Title``, ``.Post-RichText``, ``.QuestionHeader-title``,
``.RichContent-inner``) is the fallback. Zhihu refuses anonymous bursts with a 403 JSON
body (code 40362) or a login/verification wall; its 404 page is 没有知识存在的荒原.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml.html import HtmlElement

from linkindex.extract.dates import from_iso_text, from_local, from_unix
from linkindex.extract.document import (
    base_url_of,
    block_text,
    by_class,
    by_id,
    first_by_class,
    html_fragment_text,
    inline_text,
    meta,
    parse_html,
    title_tag,
)
from linkindex.extract.figures import place
from linkindex.models.pages import Page

#: Messages of pages whose content is gone.
DEAD_MESSAGES: tuple[str, ...] = (
    "你似乎来到了没有知识存在的荒原",
    "该内容已被作者删除",
    "该回答已被删除",
    "该文章已被删除",
    "内容已被删除",
)

#: Messages of anti-bot and login walls.
BLOCKED_MESSAGES: tuple[str, ...] = (
    "您当前请求存在异常",
    "系统监测到您的网络环境存在异常",
    "安全验证",
    "请登录后查看",
)

#: Lines of the frame Zhihu puts around its pages (header, action bar, login prompt): a
#: page whose other text is only these has no text.
CHROME: frozenset[str] = frozenset(
    {
        "知乎",
        "首页",
        "发现",
        "等你来答",
        "写文章",
        "登录/注册",
        "登录",
        "注册",
        "关注",
        "赞同",
        "分享",
        "收藏",
        "喜欢",
        "申请转载",
        "添加评论",
        "切换为时间排序",
        "登录知乎，问题早知道",
        "打开知乎App",
    }
)

#: The error code of Zhihu's "abnormal request" 403 JSON body.
ABNORMAL_REQUEST = 40362

_ARTICLE_ID = re.compile(r"/p/(\d+)")
_QUESTION_ID = re.compile(r"/question/(\d+)")
_ANSWER_ID = re.compile(r"/answer/(\d+)")

Entity = dict[str, Any]


def looks_like(doc: HtmlElement) -> bool:
    """Whether a page carries Zhihu markup, whatever host served it."""
    return (
        by_id(doc, "js-initialData") is not None
        or first_by_class(doc, "Post-RichText") is not None
        or first_by_class(doc, "QuestionHeader-title") is not None
    )


def looks_like_json(text: str) -> bool:
    """Whether a JSON body is Zhihu's refusal, whatever host served it."""
    return f'"code":{ABNORMAL_REQUEST}' in text.replace(" ", "") or "您当前请求存在异常" in text


def extract(html: str, *, url: str, doc: HtmlElement | None = None) -> Page:
    """Extract a Zhihu article, question or answer, or judge a wall/404 page."""
    if html.lstrip().startswith("{"):
        return extract_json(html, url=url)
    if doc is None:
        doc = parse_html(html)
    page = Page(extractor="zhihu")
    if "/account/unhuman" in url or "/signin" in url:
        return _verdict(page, "blocked", "Zhihu verification or login page")
    # Pictures keep their full-size address in data-original (extract.figures).
    images: list[HtmlElement] = []
    state = _initial_state(doc)
    if state is not None:
        _from_state(page, state, url, images)
    if not page.text:
        images.clear()
        _from_markup(page, doc, images)
    page.text, page.figures = place(page.text, images, base_url=base_url_of(doc, url))
    if not page.text and not page.figures:  # an article of pictures only is an article
        shown = block_text(doc.body) if doc.body is not None else ""
        for marker in DEAD_MESSAGES:
            if marker in shown:
                return _verdict(page, "dead", marker)
        for marker in BLOCKED_MESSAGES:
            if marker in shown or marker in title_tag(doc):
                return _verdict(page, "blocked", marker)
        if first_by_class(doc, "signFlowModal") is not None or "signFlowModal" in html:
            return _verdict(page, "blocked", "Zhihu login wall")
    page.title = page.title or meta(doc, "og:title") or _site_title(title_tag(doc))
    page.description = page.description or meta(doc, "description", "og:description")
    return page


def extract_json(text: str, *, url: str) -> Page:
    """A JSON body Zhihu sent instead of a page: its 40362 "abnormal request" refusal."""
    page = Page(extractor="zhihu")
    try:
        payload = json.loads(text)
    except ValueError:
        return _verdict(page, "blocked", "unreadable JSON from Zhihu")
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        page.title = str(payload.get("title", "")) if isinstance(payload, dict) else ""
        return page
    message = str(error.get("message", "")).strip()
    code = error.get("code")
    if code == ABNORMAL_REQUEST or "异常" in message or error.get("name") == "ForbiddenError":
        return _verdict(page, "blocked", message or f"Zhihu error {code}")
    if error.get("name") == "NotFoundError" or code == 404:
        return _verdict(page, "dead", message or "Zhihu: not found")
    return _verdict(page, "blocked", message or f"Zhihu error {code}")


def _verdict(page: Page, verdict: str, reason: str) -> Page:
    page.verdict = "dead" if verdict == "dead" else "blocked"
    page.reason = reason
    page.figures = []
    return page


def _site_title(title: str) -> str:
    """A ``<title>`` without Zhihu's ``- 知乎`` suffix."""
    return re.sub(r"\s*[-–|]\s*知乎\s*$", "", title).strip()


# -- js-initialData ------------------------------------------------------------------


def _initial_state(doc: HtmlElement) -> dict[str, Any] | None:
    script = by_id(doc, "js-initialData")
    if script is None or not (script.text or "").strip():
        return None
    try:
        data = json.loads(script.text)
    except ValueError:
        return None
    state = data.get("initialState") if isinstance(data, dict) else None
    return state if isinstance(state, dict) else None


def _entities(state: dict[str, Any], kind: str) -> dict[str, Entity]:
    entities = state.get("entities")
    found = entities.get(kind) if isinstance(entities, dict) else None
    if not isinstance(found, dict):
        return {}
    return {str(key): value for key, value in found.items() if isinstance(value, dict)}


def _from_state(page: Page, state: dict[str, Any], url: str, images: list[HtmlElement]) -> None:
    articles = _entities(state, "articles")
    questions = _entities(state, "questions")
    answers = _entities(state, "answers")
    article_id = _match(_ARTICLE_ID, url)
    answer_id = _match(_ANSWER_ID, url)
    question_id = _match(_QUESTION_ID, url)
    if articles and (article_id in articles or not (questions or answers)):
        _article(page, articles.get(article_id) or next(iter(articles.values())), images)
    elif answer_id and answer_id in answers:
        _answer(page, answers[answer_id], questions, images)
    elif questions:
        question = questions.get(question_id) or next(iter(questions.values()))
        _question(page, question, answers, images)


def _article(page: Page, article: Entity, images: list[HtmlElement]) -> None:
    page.title = str(article.get("title") or "")
    page.text = html_fragment_text(str(article.get("content") or ""), figures=images)
    page.author = _name(article.get("author"))
    column = article.get("column")
    page.account = str(column.get("title") or "") if isinstance(column, dict) else ""
    page.published_at = from_unix(article.get("created"))
    page.description = str(article.get("excerpt") or "")
    _counts(page, article)
    updated = from_unix(article.get("updated"))
    if updated:
        page.extra["updated_at"] = updated


def _answer(
    page: Page, answer: Entity, questions: dict[str, Entity], images: list[HtmlElement]
) -> None:
    question = answer.get("question")
    question_id = str(question.get("id")) if isinstance(question, dict) else ""
    title = questions.get(question_id, {}).get("title") or (
        question.get("title") if isinstance(question, dict) else ""
    )
    page.title = str(title or "")
    page.text = html_fragment_text(str(answer.get("content") or ""), figures=images)
    page.author = _name(answer.get("author"))
    page.published_at = from_unix(answer.get("createdTime") or answer.get("created"))
    page.description = str(answer.get("excerpt") or "")
    _counts(page, answer)
    updated = from_unix(answer.get("updatedTime") or answer.get("updated"))
    if updated:
        page.extra["updated_at"] = updated


def _question(
    page: Page, question: Entity, answers: dict[str, Entity], images: list[HtmlElement]
) -> None:
    page.title = str(question.get("title") or "")
    page.author = _name(question.get("author"))
    page.published_at = from_unix(question.get("created"))
    parts = [html_fragment_text(str(question.get("detail") or ""), figures=images)]
    qid = str(question.get("id", ""))
    for answer in answers.values():
        asked = answer.get("question")
        if qid and isinstance(asked, dict) and str(asked.get("id")) != qid:
            continue
        body = html_fragment_text(str(answer.get("content") or ""), figures=images)
        if body:
            author = _name(answer.get("author"))
            parts.append(f"{author}的回答：\n\n{body}" if author else body)
    page.text = "\n\n".join(part for part in parts if part)
    topics = [t.get("name") for t in question.get("topics") or [] if isinstance(t, dict)]
    if topics:
        page.extra["topics"] = [str(name) for name in topics if name]
    page.extra["answers"] = question.get("answerCount", len(answers))


def _name(author: object) -> str:
    return str(author.get("name") or "") if isinstance(author, dict) else ""


def _counts(page: Page, entity: Entity) -> None:
    for key, name in (("voteupCount", "votes"), ("commentCount", "comments")):
        if isinstance(entity.get(key), int):
            page.extra[name] = entity[key]


def _match(pattern: re.Pattern[str], url: str) -> str:
    found = pattern.search(url)
    return found.group(1) if found else ""


# -- markup --------------------------------------------------------------------------


def _from_markup(page: Page, doc: HtmlElement, images: list[HtmlElement]) -> None:
    post = first_by_class(doc, "Post-RichText")
    if post is not None:
        page.title = inline_text(first_by_class(doc, "Post-Title"))
        page.text = block_text(post, figures=images)
        page.author = inline_text(first_by_class(doc, "AuthorInfo-name"))
        page.account = inline_text(first_by_class(doc, "ColumnLink"))
        page.published_at = _time(doc, first_by_class(doc, "ContentItem-time"))
        return
    header = first_by_class(doc, "QuestionHeader-title")
    if header is None:
        return
    page.title = inline_text(header)
    parts = [block_text(first_by_class(doc, "QuestionRichText"), figures=images)]
    items = by_class(doc, "AnswerItem") or by_class(doc, "ContentItem")
    for item in items:
        body = block_text(first_by_class(item, "RichContent-inner"), figures=images)
        author = inline_text(first_by_class(item, "AuthorInfo-name"))
        if body:
            parts.append(f"{author}的回答：\n\n{body}" if author else body)
    if len(items) == 1:
        page.author = inline_text(first_by_class(items[0], "AuthorInfo-name"))
    page.text = "\n\n".join(part for part in parts if part)
    page.published_at = _time(doc, first_by_class(doc, "ContentItem-time"))


def _time(doc: HtmlElement, shown: HtmlElement | None) -> str | None:
    """Creation time: the ``dateCreated`` meta (ISO), else 发布于/编辑于 text (Beijing)."""
    created = meta(doc, "dateCreated", "datePublished", "article:published_time")
    if created:
        return from_iso_text(created)
    return from_local(inline_text(shown)) if shown is not None else None

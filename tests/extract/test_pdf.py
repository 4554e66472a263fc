from __future__ import annotations

from collections.abc import Callable

import pytest

from linkindex.extract import extract_page, pdf

Read = Callable[[str], bytes]
URL = "https://papers.example.org/1604.06174.pdf"


def test_pdf_title_text_and_metadata(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("paper.pdf"), url=URL, headers={"content-type": "application/pdf"}
    )
    assert page.extractor == "pdf"
    assert page.verdict == "ok"
    assert page.title == "梯度检查点：显存高效的训练方法"
    assert page.author == "Zhang Wei"
    assert page.published_at == "2021-03-15T01:30:00Z"
    assert page.extra["pages"] == 2
    assert "gradient checkpointing" in page.text
    assert "torch.utils.checkpoint" in page.text


def test_pdf_is_recognised_by_its_magic_bytes(page_bytes: Read) -> None:
    page = extract_page(
        page_bytes("paper.pdf"), url=URL, headers={"content-type": "application/octet-stream"}
    )
    assert page.extractor == "pdf"


def test_page_cap_limits_the_text(page_bytes: Read, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "MAX_PAGES", 1)
    page = extract_page(page_bytes("paper.pdf"), url=URL)
    assert "Abstract." in page.text
    assert "2 Method" not in page.text


def test_damaged_pdf_is_a_title_only_page() -> None:
    page = extract_page(b"%PDF-1.7\n%broken", url=URL)
    assert page.extractor == "pdf"
    assert page.verdict == "ok"
    assert page.title == "1604.06174.pdf"
    assert page.text == ""
    assert page.reason.startswith("unreadable PDF")

"""The analyzer: jieba search mode, case folding, positions, offsets, the query dictionary."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from linkindex import analysis

SAMPLE_NOTES = Path(__file__).resolve().parent.parent / "data" / "notes"


@pytest.fixture(scope="module")
def segmenter() -> analysis.Segmenter:
    return analysis.Segmenter(["nn中间语言"])


@pytest.fixture(scope="module")
def query_segmenter(segmenter: analysis.Segmenter) -> analysis.QuerySegmenter:
    return analysis.QuerySegmenter("".join(segmenter.dictionary_lines()).encode("utf-8"))


def words(segmenter: analysis.Segmenter, text: str) -> list[str]:
    return [word for word, *_ in segmenter.tokens(text)]


def test_fold_keeps_offsets() -> None:
    assert analysis.fold("PyTorch ＣＵＤＡ　显存") == "pytorch cuda 显存"
    assert len(analysis.fold("İstanbul")) == len("İstanbul")


def test_english_and_code_terms_stay_whole_and_folded(segmenter: analysis.Segmenter) -> None:
    found = words(segmenter, "PyTorch的C++扩展用CUDA写，ResNet和word2vec，8比特量化")
    for term in ("pytorch", "c++", "cuda", "resnet", "word2vec", "8", "比特", "量化"):
        assert term in found
    assert not any(w != w.lower() for w in found)


def test_no_stemming(segmenter: analysis.Segmenter) -> None:
    assert words(segmenter, "programs programming") == ["programs", "programming"]


def test_user_words_and_heading_words(segmenter: analysis.Segmenter) -> None:
    found = words(segmenter, "显存不足与NN中间语言")
    assert "显存" in found  # bundled in data/userdict.txt
    assert "nn中间语言" in found  # a heading of the notes
    assert analysis.Segmenter(()).cut("NN中间语言") != ["nn中间语言"]


def test_heading_words_are_short_terms() -> None:
    headings = ["NN中间语言", "显存", "Pytorch", "op的C++实现", "一个很长的标题不是术语", "参考"]
    assert analysis.heading_words(headings) == ["nn中间语言", "参考", "显存"]


def test_search_mode_positions_and_offsets(segmenter: analysis.Segmenter) -> None:
    text = "看 深度学习框架 PyTorch"
    tokens = segmenter.tokens(text)
    for word, _, start, end in tokens:
        assert analysis.fold(text[start:end]) == word
    position = {word: pos for word, pos, *_ in tokens}
    # words inside 深度学习 share its position, so 学习 框架 is a phrase too
    assert position["深度"] == position["学习"] == position["深度学习"]
    assert position["框架"] == position["深度学习"] + 1
    assert position["pytorch"] == position["框架"] + 1


def test_cjk_grams() -> None:
    assert analysis.cjk_grams("大灯a灯") == ["大灯", "灯"]
    assert analysis.cjk_grams("大灯", unigrams=True) == ["大", "灯", "大灯"]


def test_query_dictionary_cuts_like_the_full_one(
    segmenter: analysis.Segmenter, query_segmenter: analysis.QuerySegmenter
) -> None:
    rng = random.Random(7)
    lines = [
        line
        for path in sorted(SAMPLE_NOTES.glob("*.markdown"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pieces = [
        line[start : start + rng.randint(1, 30)]
        for line in rng.sample(lines, 600)
        for start in [rng.randrange(len(line))]
    ]
    pieces += ["显存优化", "NN中间语言 ONNX", "B超和T恤", "深度学习框架"]
    for piece in pieces:
        assert query_segmenter.cut(piece) == segmenter.cut(piece), piece


def test_code_compounds_are_indexed_whole_and_in_parts(segmenter: analysis.Segmenter) -> None:
    tokens = segmenter.tokens("调用 torch.cuda.memory_allocated() 看 2016-2017")
    position = {word: pos for word, pos, *_ in tokens}
    assert position["torch"] + 1 == position["cuda"] == position["memory"] - 1
    assert "torch.cuda.memory_allocated" in position
    assert position["2016"] + 1 == position["2017"]
    assert segmenter.cut("torch.cuda") == ["torch", "cuda"]


def test_rjieba_gives_jieba_tokens(segmenter: analysis.Segmenter, tmp_path: Path) -> None:
    """rjieba with our words segments prose exactly like pure-Python jieba with them.

    (jieba-rs keeps code compounds such as ``x_1`` whole where jieba splits them; the
    tokenizer indexes those by their parts as well, see the test above.)
    """
    import jieba

    from linkindex.extract import extract_page

    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = str(tmp_path)
    for word, freq in segmenter.added:
        tokenizer.add_word(word, freq)
    article = (Path(__file__).parent / "fixtures" / "pages" / "wechat_article.html").read_bytes()
    texts = [extract_page(article, url="https://mp.weixin.qq.com/s/x").text]
    for path in sorted(SAMPLE_NOTES.glob("*.markdown")):
        texts += path.read_text(encoding="utf-8").splitlines()
    compared = 0
    for text in map(analysis.fold, texts):
        ours = sorted((w, s, e) for w, _, s, e in segmenter.tokens(text))
        if any(analysis._is_compound(w) for w, _, _ in ours):
            continue
        theirs = tokenizer.tokenize(text, mode="search")
        assert ours == sorted((w, s, e) for w, s, e in theirs if analysis.is_word(w)), text
        compared += 1
    assert compared > 800


def test_a_missing_jieba_is_an_install_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from linkindex.errors import InstallError, LinkindexError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InstallError, match="jieba package is not installed") as raised:
        analysis._jieba_dict_path()
    assert isinstance(raised.value, LinkindexError)
    with pytest.raises(InstallError, match="rjieba"):
        analysis._load_rjieba()

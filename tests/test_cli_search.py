"""The search, related, index and doctor commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from children import child_env, run_python
from linkindex.cli import app

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "data" / "notes"
MEMORY = "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"


def fill(home: Path) -> None:
    from linkindex import importer
    from linkindex.store import Store

    store = Store(home)
    importer.import_paths(store, [NOTES])
    store.close()


def test_search_on_an_empty_library_says_how_to_fill_it(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(app, ["search", "显存优化", "--home", str(home)])
    assert result.exit_code == 1
    assert "linkindex import" in result.output


def test_index_then_search(runner: CliRunner, home: Path) -> None:
    fill(home)
    result = runner.invoke(app, ["index", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("indexed 391 links")
    result = runner.invoke(app, ["search", "显存优化", "--home", str(home)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "1. 显存不足？PyTorch显存使用分析与优化"
    assert lines[1] == f"   {MEMORY}"
    assert (
        lines[2]
        == "   wechat | new | Pytorch > 参考 | 2018-3-1-DL_framework.markdown:209 | 2018-03-01"
    )
    assert lines[3] == "   «显存»不足？PyTorch«显存»使用分析与«优化»"
    assert lines[-1] == "1-1 of 1"
    assert "\x1b[" not in result.output  # no colour when not a terminal


def test_search_json_shape(runner: CliRunner, home: Path) -> None:
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    result = runner.invoke(
        app,
        [
            "search",
            "pytorch",
            "--topic",
            "Pytorch",
            "--limit",
            "2",
            "--page",
            "2",
            "--json",
            "--home",
            str(home),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"query", "total", "page", "limit", "hits", "suggestions"}
    assert data["page"] == 2 and len(data["hits"]) == 2 and data["total"] > 4
    assert set(data["hits"][0]) == {
        "link_id",
        "url",
        "canonical_url",
        "title",
        "site",
        "status",
        "score",
        "topics",
        "note_path",
        "note_title",
        "line",
        "published_at",
        "fetched_at",
        "archive_url",
        "snippet",
    }


def test_no_match_prints_suggestions_and_exits_1(runner: CliRunner, home: Path) -> None:
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    result = runner.invoke(app, ["search", "pytorhc", "--home", str(home)])
    assert result.exit_code == 1
    assert "try: pytorch" in result.output
    bad = runner.invoke(app, ["search", "x", "--status", "gone", "--home", str(home)])
    assert bad.exit_code == 1 and "unknown status" in bad.output


def test_a_json_search_exits_as_a_plain_one(runner: CliRunner, home: Path) -> None:
    """``--json`` changes what is printed, not the exit status a script tests: 1 when
    nothing matches (it had been 0), 0 with hits and for a page past the last."""
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    missed = runner.invoke(app, ["search", "pytorhc", "--json", "--home", str(home)])
    assert missed.exit_code == 1, missed.output
    data = json.loads(missed.stdout)
    assert data["total"] == 0 and data["suggestions"]
    found = runner.invoke(app, ["search", "显存优化", "--json", "--home", str(home)])
    assert found.exit_code == 0 and json.loads(found.stdout)["total"] >= 1
    past = ["search", "显存优化", "--json", "--page", "9", "--home", str(home)]
    beyond = runner.invoke(app, past)
    assert beyond.exit_code == 0 and json.loads(beyond.stdout)["hits"] == []


def test_a_query_with_nothing_to_search_for_is_refused_not_answered_with_everything(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    """A query of nothing but an emoji or dots says so; it neither lists nor exports the
    whole library (an empty query and a query of filters alone still list links)."""
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    for query in ("😀", "...", '"…"', "title:--"):
        result = runner.invoke(app, ["search", query, "--home", str(home)])
        assert result.exit_code == 1, (query, result.output)
        assert "nothing to search for" in result.output and "Traceback" not in result.output
    out = tmp_path / "all.md"
    exported = runner.invoke(app, ["export", "-q", "😀", "-o", str(out), "--home", str(home)])
    assert exported.exit_code == 1 and "nothing to search for" in exported.output
    assert not out.exists()
    for listing in (["site:wechat"], ["显存 ..."], ["--", "-显存", "..."]):
        result = runner.invoke(app, ["search", "--limit", "1", "--home", str(home), *listing])
        assert result.exit_code == 0, (listing, result.output)


def test_options_alone_list_the_links_they_pass(runner: CliRunner, home: Path) -> None:
    """``search --topic X`` (no words) lists the links under X, as ``topic:X`` does; with
    neither words nor a filter it says what to give."""
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    alone = runner.invoke(app, ["search", "--topic", "Pytorch", "--json", "--home", str(home)])
    query = runner.invoke(app, ["search", "topic:Pytorch", "--json", "--home", str(home)])
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.output)["total"] == json.loads(query.output)["total"] > 1
    bare = runner.invoke(app, ["search", "--limit", "3", "--home", str(home)])
    assert bare.exit_code == 1 and "no words to search for" in bare.output


def test_queries_a_review_found_wrong(runner: CliRunner, home: Path) -> None:
    """A spelling fix leaves a filter's value alone; 😀 with a filter option lists what the
    option passes, as 😀 with the filter in the query does; a NOT before a dropped word
    goes with it; bytes that are not UTF-8 get one line, not an internal error."""
    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])

    def search(*args: str) -> Any:
        return runner.invoke(app, ["search", "--home", str(home), "--json", *args])

    typo = search("site:github githu")
    assert "unknown site" not in typo.output
    assert json.loads(typo.output)["suggestions"][0] == "site:github github"
    both = json.loads(search("😀 site:github").output)["total"]
    assert json.loads(search("--site", "github", "😀").output)["total"] == both > 0
    everything = json.loads(search("python").output)["total"]
    assert json.loads(search("NOT 😀 python").output)["total"] == everything
    broken = search("python\udcff")
    assert broken.exit_code == 1 and "not UTF-8" in broken.output


def test_related_and_doctor(runner: CliRunner, home: Path) -> None:
    fill(home)
    doctor = runner.invoke(app, ["doctor", "--home", str(home)])
    assert doctor.exit_code == 1 and "no search index" in doctor.output
    repaired = runner.invoke(app, ["doctor", "--repair", "--json", "--home", str(home)])
    assert repaired.exit_code == 0, repaired.output
    assert json.loads(repaired.output)["repaired"] is True
    result = runner.invoke(app, ["related", MEMORY, "--limit", "3", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["hits"]) == 3


def test_show_and_related_find_a_link_the_same_ways(runner: CliRunner, home: Path) -> None:
    from linkindex.store import Store

    fill(home)
    runner.invoke(app, ["index", "--home", str(home)])
    moved = "https://mp.weixin.qq.com/s/where-it-redirected"
    with Store(home) as store, store.transaction():
        store.conn.execute("UPDATE links SET final_url=? WHERE canonical_url=?", (moved, MEMORY))
    for address in (MEMORY, f" {MEMORY}?utm_source=feed ", moved):
        show = runner.invoke(app, ["show", address, "--json", "--home", str(home)])
        assert show.exit_code == 0, show.output
        assert json.loads(show.output)["url"] == MEMORY
        related = runner.invoke(app, ["related", address, "--json", "--home", str(home)])
        assert related.exit_code == 0, related.output
        assert json.loads(related.output)["hits"]
    for command in ("show", "related"):
        missing = runner.invoke(app, [command, "https://nowhere.example/", "--home", str(home)])
        assert missing.exit_code == 1 and "is not in the library" in missing.output


def test_search_process_stays_small(home: Path) -> None:
    """`linkindex search` never imports the crawler, httpx or BeautifulSoup, nor jieba."""
    fill(home)
    subprocess.run(
        [sys.executable, "-m", "linkindex", "index", "--home", str(home)],
        check=True,
        env=child_env(),
    )
    script = (
        "import sys\n"
        "from linkindex.cli import app\n"
        "try:\n"
        f"    app(['search', '显存优化', '--home', {str(home)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = run_python(script, check=True, env=child_env(LINKINDEX_HOME=str(home)))
    assert MEMORY in done.stdout
    modules = set(done.stderr.split())
    for heavy in ("httpx", "bs4", "linkindex.crawl", "linkindex.fetch", "jieba", "trafilatura"):
        assert heavy not in modules
    # what whoosh imports for functions linkindex never calls (index._DEFERRED)
    for unused in ("urllib.request", "whoosh.lang.morph_en", "whoosh.lang.porter"):
        assert unused not in modules


def test_titles_stored_with_terminal_escapes_never_reach_the_terminal(
    runner: CliRunner, home: Path
) -> None:
    # A library filled before titles were cleaned at import may still hold escapes.
    from freshness_library import add_link
    from linkindex.store import Store

    hostile = "显存\x1b[2J优化\x1b]0;owned\x07指南\x9b"
    with Store(home) as store:
        add_link(
            store,
            "https://hostile.example/a",
            status="ok",
            topic=["主题\x1b[31m"],
            title=hostile,
            page={"title": hostile, "text": f"正文 {hostile}\n第二行"},
        )
    assert runner.invoke(app, ["index"]).exit_code == 0
    for command in (["search", "显存"], ["show", "https://hostile.example/a"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output
        assert "\x9b" not in result.output
        assert "显存优化指南" in result.output

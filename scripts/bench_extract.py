"""Print the CPU cost of extracting each fixture page (ms per page) and pages per second.

Usage: .venv/bin/python scripts/bench_extract.py [ROUNDS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from linkindex.extract import extract_page

PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"
URLS = {
    "wechat": "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA",
    "zhihu": "https://zhuanlan.zhihu.com/p/43210987",
    "github": "https://github.com/Tencent/ncnn",
    "csdn": "https://blog.csdn.net/qq_38156052/article/details/106093545",
    "cnblogs": "https://www.cnblogs.com/zhanggong-ai/p/14523866.html",
}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    total_cpu = 0.0
    total_pages = 0
    print(f"{'page':<24} {'bytes':>7} {'ms/page':>8}")
    for path in sorted(PAGES.glob("*.*")):
        if path.suffix not in (".html", ".json", ".pdf"):
            continue
        body = path.read_bytes()
        url = URLS.get(path.name.split("_", 1)[0], f"https://example.com/{path.name}")
        extract_page(body, url=url)  # warm up: lazy imports, caches
        started = time.process_time()
        for _ in range(rounds):
            extract_page(body, url=url)
        spent = time.process_time() - started
        total_cpu += spent
        total_pages += rounds
        print(f"{path.name:<24} {len(body):>7} {spent / rounds * 1000:>8.2f}")
    print(f"all pages: {total_pages / total_cpu:.0f} pages/s per core")


if __name__ == "__main__":
    main()

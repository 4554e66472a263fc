"""Where the readings of Big5 disagree, over every two-byte code.

Walks the 19,782 codes of Big5's two-byte space (lead 0x81-0xFE, second byte 0x40-0x7E or
0xA1-0xFE) and reads each with Python's ``cp950`` and ``big5hkscs``, with CP950 then
Big5-HKSCS for what CP950 cannot read (the notes' reading before ``legacy_cjk``), and with
``legacy_cjk.BIG5``; given the WHATWG Encoding Standard's ``index-big5.txt`` (what
browsers read), with that too. Prints, for pairs of readings, how many codes they read
differently or only one of them reads, by lead byte, with examples.

    .venv/bin/python scripts/big5_table.py [path/to/index-big5.txt]
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from linkindex import legacy_cjk

Reading = Callable[[bytes], "str | None"]

SECOND_BYTES = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
CODES = [bytes((lead, second)) for lead in range(0x81, 0xFF) for second in SECOND_BYTES]

#: The Standard's four codes that read as a letter and a combining mark.
PAIRS = {1133: "\u00ca\u0304", 1135: "\u00ca\u030c", 1164: "\u00ea\u0304", 1166: "\u00ea\u030c"}


def python(codec: str, errors: str = "strict") -> Reading:
    """A reading by a codec: the text of a whole code, else None."""

    def read(code: bytes) -> str | None:
        try:
            text = legacy_cjk.decode(code, codec, errors)
        except UnicodeDecodeError:
            return None
        return None if any(0xDC80 <= ord(char) <= 0xDCFF for char in text) else text

    return read


def cp950_then_hkscs(code: bytes) -> str | None:
    """The notes' reading before: CP950, and Big5-HKSCS for a code CP950 cannot read."""
    return python("cp950")(code) or python("big5hkscs")(code)


def whatwg(path: Path) -> Reading:
    """The Standard's reading: its index by pointer, and its four two-character codes."""
    index = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pointer, code_point = line.split("\t")[:2]
            index[int(pointer)] = chr(int(code_point, 16))

    def read(code: bytes) -> str | None:
        lead, second = code
        pointer = (lead - 0x81) * 157 + second - (0x40 if second < 0x7F else 0x62)
        return PAIRS.get(pointer) or index.get(pointer)

    return read


def shown(text: str | None) -> str:
    """A reading as code points and characters."""
    if text is None:
        return "-"
    return " ".join(f"U+{ord(char):04X} {char}" for char in text)


def compare(name_a: str, read_a: Reading, name_b: str, read_b: Reading) -> None:
    """Print where two readings disagree: counts by kind and lead byte, and examples."""
    kinds: defaultdict[str, list[tuple[bytes, str | None, str | None]]] = defaultdict(list)
    for code in CODES:
        a, b = read_a(code), read_b(code)
        if a == b:
            continue
        if a is None:
            kind = f"only {name_b} reads"
        elif b is None:
            kind = f"only {name_a} reads"
        else:
            kind = "both read, differently"
        kinds[kind].append((code, a, b))
    total = sum(map(len, kinds.values()))
    print(f"\n{name_a} vs {name_b}: {total} codes")
    for kind, rows in sorted(kinds.items()):
        leads = Counter(f"{code[0]:02X}" for code, _, _ in rows)
        print(
            f"  {kind}: {len(rows)}  (lead byte: codes) "
            + ", ".join(f"{lead}: {count}" for lead, count in sorted(leads.items()))
        )
        for code, a, b in rows[:6]:
            print(f"    {code.hex().upper()}  {name_a} {shown(a)}  {name_b} {shown(b)}")


def main() -> None:
    readings = {
        "cp950": python("cp950"),
        "big5hkscs": python("big5hkscs"),
        "cp950+hkscs": cp950_then_hkscs,
        "BIG5": python(legacy_cjk.BIG5),
    }
    if len(sys.argv) > 1:
        readings["WHATWG"] = whatwg(Path(sys.argv[1]))
    print(f"{len(CODES)} two-byte codes; codes each reading reads:")
    for name, read in readings.items():
        print(f"  {name:12} {sum(read(code) is not None for code in CODES)}")
    compare("cp950", readings["cp950"], "big5hkscs", readings["big5hkscs"])
    compare("cp950+hkscs", readings["cp950+hkscs"], "BIG5", readings["BIG5"])
    if "WHATWG" in readings:
        for name in ("cp950+hkscs", "big5hkscs", "BIG5"):
            compare(name, readings[name], "WHATWG", readings["WHATWG"])


if __name__ == "__main__":
    main()

"""How often a note's legacy encoding is told right, and what reading a note costs.

Reads each line of ``data/notes`` that holds two CJK characters or more, written in GBK,
and in Big5 after turning it to traditional characters, and the Japanese and Korean
titles below in Shift_JIS, EUC-JP and EUC-KR, and prints by length (CJK characters per
line) how many ``notes.decoding.decode`` reads wrong, beside charset-normalizer's guess
of the encoding. Then random fragments of 2-10 characters of the same texts (the choice
alone). Then the CPU time of ``decode`` per note, UTF-8, GBK and Big5, on the sample notes.

    .venv/bin/python scripts/bench_decoding.py
"""

from __future__ import annotations

import random
import re
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from charset_normalizer import from_bytes

from linkindex.analysis.fold_pairs import PAIRS
from linkindex.notes import decoding

NOTES = sorted((Path(__file__).resolve().parent.parent / "data" / "notes").iterdir())

JAPANESE = (
    "機械学習の入門",
    "メモリ最適化",
    "深層学習による画像認識の基礎",
    "PyTorchでGPUメモリを節約する方法",
    "自然言語処理の最新動向",
    "強化学習アルゴリズムの比較",
    "推薦システムの設計と実装",
    "協調フィルタリング入門",
    "知識蒸留によるモデル圧縮",
    "分散学習の高速化テクニック",
    "大規模言語モデルの評価手法",
    "データ前処理のベストプラクティス",
    "画像生成モデルの仕組みを理解する",
    "量子化による推論の高速化",
    "トランスフォーマーの注意機構を図解する",
    "確率的勾配降下法の収束について",
    "線形代数の復習ノート",
    "統計学の基本概念まとめ",
    "顔認識技術の現状と課題",
    "音声認識システムを作ってみた",
    "東京大学の講義資料",
    "初心者向けPython入門講座",
    "論文紹介：注意機構はすべてを解決するか",
    "時系列データの異常検知",
    "物体検出モデルの比較と選び方",
    "行列分解を使った推薦",
    "機械翻訳の歴史",
    "半教師あり学習の手法一覧",
    "計算グラフと自動微分",
    "ニューラルネットワークの軽量化",
    "エッジデバイスでの推論",
    "私の開発環境の紹介",
    "読書メモ：ゼロから作るDeep Learning",
    "数学の勉強法について考える",
    "オープンソースの貢献ガイド",
    "効率的なGPUの使い方",
    "クラウドでの学習環境構築",
    "研究室の輪読会資料",
    "日本語の形態素解析",
    "文字コードの話：Shift JISとUTF-8",
    "深層学習",
    "機械翻訳",
    "画像認識",
)

KOREAN = (
    "메모리 최적화 기법",
    "머신러닝 입문",
    "딥러닝을 이용한 이미지 인식",
    "자연어 처리의 최신 동향",
    "강화 학습 알고리즘 비교",
    "추천 시스템 설계와 구현",
    "협업 필터링 알고리즘",
    "지식 증류 입문",
    "분산 학습 속도 향상 방법",
    "대규모 언어 모델 평가",
    "데이터 전처리 모범 사례",
    "이미지 생성 모델의 원리",
    "양자화를 통한 추론 가속",
    "트랜스포머 어텐션 메커니즘 설명",
    "확률적 경사 하강법의 수렴",
    "선형대수 복습 노트",
    "통계학 기본 개념 정리",
    "얼굴 인식 기술의 현황과 과제",
    "음성 인식 시스템 만들기",
    "서울대학교 강의 자료",
    "초보자를 위한 파이썬 강좌",
    "논문 리뷰: 어텐션이 전부다",
    "시계열 데이터 이상 탐지",
    "객체 검출 모델 비교",
    "행렬 분해를 이용한 추천",
    "기계 번역의 역사",
    "준지도 학습 방법 정리",
    "계산 그래프와 자동 미분",
    "신경망 경량화",
    "엣지 디바이스에서의 추론",
    "나의 개발 환경 소개",
    "독서 메모: 밑바닥부터 시작하는 딥러닝",
    "수학 공부법에 대하여",
    "오픈소스 기여 가이드",
    "효율적인 GPU 사용법",
    "클라우드 학습 환경 구축",
    "연구실 세미나 자료",
    "한국어 형태소 분석",
    "문자 인코딩 이야기",
    "파이토치 분산 학습 튜토리얼",
    "머신러닝",
    "딥러닝",
    "최적화",
)

#: charset-normalizer's names for each encoding decode() may choose.
SAME = {
    "GB18030": {"gb18030", "gbk", "gb2312", "cp936", "hz"},
    "Big5": {"big5", "cp950", "big5hkscs"},
    "Shift_JIS": {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213"},
    "EUC-JP": {"euc_jp", "euc_jis_2004", "euc_jisx0213"},
    "EUC-KR": {"euc_kr", "cp949", "johab"},
}
CJK = re.compile("[^\x00-\x7f]")
CJK_RUNS = re.compile("[^\x00-\x7f]+")
_SIMPLIFIED_TO_TRADITIONAL = {PAIRS[at + 1]: PAIRS[at] for at in range(len(PAIRS) - 2, -1, -2)}


def traditional(text: str) -> str:
    """``text`` in traditional characters, one for one (the first of OpenCC's pairs)."""
    return text.translate(str.maketrans(_SIMPLIFIED_TO_TRADITIONAL))


def chinese_lines() -> list[str]:
    """The lines of the sample notes that hold two CJK characters or more."""
    lines = []
    for path in NOTES:
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(CJK.findall(line)) >= 2 and "://" not in line:
                lines.append(line.strip().lstrip("#").strip())
    return lines


def cases() -> list[tuple[str, list[str], str, str]]:
    """(label, texts, codec, the encoding decode() should name)."""
    chinese = chinese_lines()
    return [
        ("GBK", chinese, "gbk", "GB18030"),
        ("Big5", [traditional(line) for line in chinese], "cp950", "Big5"),
        ("Shift_JIS", list(JAPANESE), "cp932", "Shift_JIS"),
        ("EUC-JP", list(JAPANESE), "euc_jp", "EUC-JP"),
        ("EUC-KR", list(KOREAN), "euc_kr", "EUC-KR"),
    ]


def length_band(text: str) -> str:
    count = len(CJK.findall(text))
    return "2-5" if count <= 5 else "6-9" if count <= 9 else "10-40" if count <= 40 else ">40"


def lines_table() -> None:
    print("lines read wrong, by CJK characters per line")
    print(
        f"{'encoding':<10} {'chars':>6} {'lines':>6} {'linkindex':>10} {'charset-normalizer':>19}"
    )
    for label, texts, codec, name in cases():
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for text in texts:
            try:
                data = text.encode(codec)
            except UnicodeEncodeError:
                continue
            row = counts[length_band(text)]
            row[0] += 1
            row[1] += decoding.decode(data).text != text
            best = from_bytes(data).best()
            row[2] += (best.encoding if best else "") not in SAME[name]
        for band in ("2-5", "6-9", "10-40", ">40"):
            if band in counts:
                n, ours, theirs = counts[band]
                print(f"{label:<10} {band:>6} {n:>6} {ours:>10} {theirs:>12} ({theirs / n:4.0%})")


def fragments_table(rounds: int = 300) -> None:
    print(f"\nrandom fragments chosen wrong (of {rounds}), by characters")
    rng = random.Random(1)
    print(f"{'chars':>5} " + " ".join(f"{label:>9}" for label, *_ in cases()))
    for length in (2, 3, 4, 6, 10):
        row = []
        for _, texts, codec, name in cases():
            # Korean words are short: fragments run across the spaces between them
            runs = [run for text in texts for run in CJK_RUNS.findall(text.replace(" ", ""))]
            runs = [run for run in runs if len(run) >= length]
            wrong = 0
            for _ in range(rounds):
                run = rng.choice(runs)
                start = rng.randrange(len(run) - length + 1)
                data = run[start : start + length].encode(codec, "ignore")
                wrong += decoding._likeliest(decoding._sample(data))[1].name != name
            row.append(wrong)
        print(f"{length:>5} " + " ".join(f"{wrong:>9}" for wrong in row))


def timing(rounds: int = 200) -> None:
    print("\ndecode, CPU ms per note (best of 5), sample notes")
    texts = [path.read_text(encoding="utf-8") for path in NOTES]
    writers: dict[str, Callable[[str], bytes]] = {
        "UTF-8": str.encode,
        "GBK": lambda text: text.encode("gbk", "ignore"),
        "Big5": lambda text: traditional(text).encode("cp950", "ignore"),
    }
    decoding.decode("中文".encode("gbk"))  # the table loaded, as once per import
    for label, write in writers.items():
        datas = [write(text) for text in texts]
        best = min(_spent(datas, rounds) for _ in range(5))
        size = sum(map(len, datas)) // len(datas)
        print(f"{label:<6} {best * 1000:7.3f} ms  ({size} bytes a note)")


def _spent(datas: list[bytes], rounds: int) -> float:
    started = time.process_time()
    for _ in range(rounds):
        for data in datas:
            decoding.decode(data)
    return (time.process_time() - started) / rounds / len(datas)


if __name__ == "__main__":
    lines_table()
    fragments_table()
    timing()

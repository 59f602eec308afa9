"""Which segmenter makes every name in Lao, Thai and Khmer text markable?

A gold span sits on token boundaries, so a segmenter is usable for annotation only if every name
boundary is one of its token boundaries. For one sentence per language (the Lao one is the test
text in ``tests/data/lao_leaders.txt``) with its names listed by hand, this script runs every
segmenter that is installed and writes, per segmenter: how many of the names are markable, whether
its tokens cover every non-space character, and the tokens. The table goes to ``RESULTS.md`` beside
this script.

    .venv/bin/pip install pyicu-wheels==2.15.2   # ICU; the other libraries are vietlao's dependencies
    .venv/bin/python benchmarks/segmentation/compare.py
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from vietlao.corpus.segment import tokenize

HERE = Path(__file__).parent
LAO = (HERE.parents[1] / "tests" / "data" / "lao_leaders.txt").read_text(encoding="utf-8").splitlines()[0]

#: language -> (sentence, names in it). Thai: "The Prime Minister of Thailand travelled to the city of
#: Vientiane, Laos"; Khmer: "The Prime Minister of Cambodia went to the city of Vientiane, Laos."
SAMPLES = {
    "lo": (LAO, ["ທອງລຸນ ສີສຸລິດ", "ສປປ ລາວ", "ໂຕເລິມ", "ວຽງຈັນ"]),
    "th": ("นายกรัฐมนตรีแห่งประเทศไทยเดินทางไปกรุงเวียงจันทน์ ประเทศลาว", ["ไทย", "เวียงจันทน์", "ลาว"]),
    "km": ("នាយករដ្ឋមន្ត្រីកម្ពុជាបានទៅទីក្រុងវៀងចន្ទ ប្រទេសឡាវ។", ["កម្ពុជា", "វៀងចន្ទ", "ឡាវ"]),
}


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _icu(locale: str):
    import icu

    def words(text: str) -> list[str]:
        it = icu.BreakIterator.createWordInstance(icu.Locale(locale))
        it.setText(text)
        units = text.encode("utf-16-le")  # ICU reports UTF-16 offsets
        cuts = [0, *it]
        return [units[2 * a : 2 * b].decode("utf-16-le") for a, b in zip(cuts, cuts[1:])]

    return words


def segmenters(lang: str) -> dict[str, object]:
    """Name -> a function from text to tokens (strings), for the installed libraries."""
    found: dict[str, object] = {"vietlao tokenize": lambda t: [x.text for x in tokenize(t)]}
    if _version("pyicu-wheels") != "not installed":
        found[f"ICU {__import__('icu').ICU_VERSION} word break"] = _icu(lang)
    if lang == "lo":
        from laonlp.tokenize import syllable_tokenize, word_tokenize

        found["laonlp word_tokenize"] = word_tokenize
        found["laonlp syllable_tokenize"] = syllable_tokenize
    if lang == "th":
        from pythainlp.tokenize import subword_tokenize, word_tokenize

        found["pythainlp word_tokenize (newmm)"] = word_tokenize
        found["pythainlp syllables (han_solo, CRF)"] = lambda t: subword_tokenize(t, engine="han_solo")
        found["pythainlp TCC"] = lambda t: subword_tokenize(t, engine="tcc")
    if lang == "km":
        from khmernltk import word_tokenize
        from khmernltk.utils.data import seg_kcc

        found["khmer-nltk word_tokenize (CRF)"] = word_tokenize
        found["khmer-nltk KCC"] = seg_kcc
    return found


def _offsets(text: str, tokens: list[str]) -> list[tuple[int, int]] | None:
    """Tokens located left to right in ``text`` (None if a token is not found: the tool changed text)."""
    spans, position = [], 0
    for token in tokens:
        if not token.strip():
            continue
        start = text.find(token, position)
        if start < 0:
            return None
        spans.append((start, start + len(token)))
        position = start + len(token)
    return spans


def row(lang: str, name: str, segment, text: str, names: list[str]) -> list[str]:
    tokens = [t for t in segment(text) if t.strip()]
    spans = _offsets(text, tokens)
    if spans is None:
        return [lang, name, "–", "no (text changed)", str(len(tokens)), " \\| ".join(tokens)]
    bounds = {x for s in spans for x in s}
    markable = 0
    for n in names:
        start = text.find(n)
        markable += start in bounds and start + len(n) in bounds
    covered = {i for a, b in spans for i in range(a, b)} == {i for i, c in enumerate(text) if not c.isspace()}
    return [lang, name, f"{markable}/{len(names)}", "yes" if covered else "no", str(len(tokens)), " \\| ".join(tokens)]


def main() -> None:
    rows = [row(lang, name, seg, text, names)
            for lang, (text, names) in SAMPLES.items() for name, seg in segmenters(lang).items()]
    versions = ", ".join(f"{d} {_version(d)}" for d in ("laonlp", "pythainlp", "khmer-nltk", "pyicu-wheels", "regex"))
    lines = [
        "# Segmenters for scripts written without spaces",
        "",
        f"Names markable = names whose start and end are token boundaries. Versions: {versions}.",
        "Reproduce: `.venv/bin/python benchmarks/segmentation/compare.py` (ICU from `pyicu-wheels`).",
        "",
        "| lang | segmenter | names markable | covers all text | tokens | tokenisation |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

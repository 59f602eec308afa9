import numpy as np
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SEA_SCRIPT_TEXT

from pathlib import Path

from vietlao.corpus.documents import load_corpus
from vietlao.corpus.segment import LINE_BREAKS, segment, token_offsets, tokenize, tokenize_texts
from vietlao.spans import Span, spans_to_tags, tags_to_spans

DOCUMENTS = load_corpus()


def check_invariants(text: str) -> None:
    sentences = segment(text)
    covered = set()
    last_end = 0
    for s in sentences:
        assert text[s.start : s.end] == s.text
        assert s.start >= last_end, "sentences out of order or overlapping"
        assert not any(ch in LINE_BREAKS for ch in s.text), "sentence crosses a line break"
        assert s.text == s.text.strip() and s.text
        last_end = s.end
        prev = s.start
        for t in s.tokens:
            assert text[t.start : t.end] == t.text
            assert t.start >= prev, "tokens overlap"
            assert s.start <= t.start < t.end <= s.end
            assert not t.text.isspace()
            prev = t.end
            covered.update(range(t.start, t.end))
    non_space = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert covered == non_space, "tokens must cover exactly the non-space characters"


@pytest.mark.parametrize("doc", DOCUMENTS, ids=lambda d: d.doc_id)
def test_invariants_on_every_document(doc):
    check_invariants(doc.text)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_invariants_on_arbitrary_text(text):
    check_invariants(text)


@given(SEA_SCRIPT_TEXT)
@settings(max_examples=300, deadline=None)
def test_invariants_on_lao_thai_khmer_myanmar_text(text):
    check_invariants(text)


LAO_TEXT = (Path(__file__).parent / "data" / "lao_leaders.txt").read_text(encoding="utf-8")


def test_lao_capital_is_markable_inside_the_capital_phrase():
    tokens = [t.text for t in tokenize("ທີ່ນະຄອນຫຼວງວຽງຈັນ.")]
    assert tokens == ["ທີ່", "ນະ", "ຄອນ", "ຫຼວງ", "ວຽງ", "ຈັນ", "."]
    assert [t.text for t in tokenize("ສປປ ລາວ")] == ["ສ", "ປ", "ປ", "ລາວ"]  # no syllable pattern: clusters


@pytest.mark.parametrize(
    "text, expected",
    [
        # Lao and Thai: a stop ends a sentence before a (caseless) letter; a space alone never does.
        ("ທີ່ນະຄອນຫຼວງວຽງຈັນ. ສອງຝ່າຍ", ["ທີ່ນະຄອນຫຼວງວຽງຈັນ.", "ສອງຝ່າຍ"]),
        ("ທ່ານ ສອນໄຊ ສີພັນດອນ ແຫ່ງ ສປປ ລາວ", ["ທ່ານ ສອນໄຊ ສີພັນດອນ ແຫ່ງ ສປປ ລາວ"]),
        ("ไปกรุงเวียงจันทน์ ลาวและเวียดนาม", ["ไปกรุงเวียงจันทน์ ลาวและเวียดนาม"]),
        ("เวียงจันทน์! ฮานอย", ["เวียงจันทน์!", "ฮานอย"]),
        # Khmer khan and Myanmar section mark end a sentence, with or without a space after them.
        ("ភ្នំពេញ។ កម្ពុជា។វៀតណាម", ["ភ្នំពេញ។", "កម្ពុជា។", "វៀតណាម"]),
        ("ရန်ကုန်။ မြန်မာ", ["ရန်ကုန်။", "မြန်မာ"]),
        ("ຮ່າໂນ້ຍ\nວຽງຈັນ", ["ຮ່າໂນ້ຍ", "ວຽງຈັນ"]),
    ],
)
def test_sentences_in_scripts_without_spaces(text, expected):
    assert [s.text for s in segment(text)] == expected


def test_lao_test_text():
    check_invariants(LAO_TEXT)
    assert len(segment(LAO_TEXT)) == 3


@given(st.lists(st.sampled_from(["Việt Nam", "Лаос", ".", " ", "\n", "A.", "17/01/2023", "-", "–", "https://x.vn/a", "!", "«", "5"]), max_size=40))
@settings(max_examples=300, deadline=None)
def test_invariants_on_corpus_like_text(parts):
    check_invariants("".join(parts))


def words(text):
    return [t.text for t in tokenize(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Vietnam-Laos", ["Vietnam", "-", "Laos"]),
        ("Việt Nam – Lào", ["Việt", "Nam", "–", "Lào"]),
        ("вьетнамско-лаосской", ["вьетнамско", "-", "лаосской"]),
        ("Cập nhật: 17/01/2023 13:55", ["Cập", "nhật", ":", "17/01/2023", "13:55"]),
        ("target 5 miliar USD.", ["target", "5", "miliar", "USD", "."]),
        ("ЦК КПВ То Лам", ["ЦК", "КПВ", "То", "Лам"]),
        ("CHDCND Lào", ["CHDCND", "Lào"]),
        ("Ảnh: TTXVN |", ["Ảnh", ":", "TTXVN", "|"]),
        ("48-го заседания", ["48", "-", "го", "заседания"]),
        ("Kommentar (0)", ["Kommentar", "(", "0", ")"]),
        ("[annonse_2]", ["[", "annonse", "_", "2", "]"]),
        (
            "Kilde: https://vietnamnet.vn/a-b-2468734.html",
            ["Kilde", ":", "https://vietnamnet.vn/a-b-2468734.html"],
        ),
        ("Vietnams utenrikspolitikk", ["Vietnams", "utenrikspolitikk"]),
        ("«стратегической связанности»", ["«", "стратегической", "связанности", "»"]),
    ],
)
def test_tokens(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hội đàm. Ảnh: TTXVN |", ["hội đàm.", "Ảnh: TTXVN |"]),
        ("hội đàm. Ảnh: TTXVN. |", ["hội đàm.", "Ảnh: TTXVN. |"]),
        ("Heading line\nBody one. Body two.", ["Heading line", "Body one.", "Body two."]),
        ("Møtet ble holdt av A. Hansen i går. Nei.", ["Møtet ble holdt av A. Hansen i går.", "Nei."]),
        ("Den 5. mai. Så", ["Den 5. mai.", "Så"]),
        ("a sentence. lower case continues", ["a sentence. lower case continues"]),
        ("In 2023. 2024 was next.", ["In 2023.", "2024 was next."]),
        ("Tin liên quan\n\nViệt Nam – Lào", ["Tin liên quan", "Việt Nam – Lào"]),
        ("line one\r\nline two", ["line one", "line two"]),
    ],
)
def test_sentences(text, expected):
    assert [s.text for s in segment(text)] == expected


def test_segmentation_is_deterministic():
    for doc in DOCUMENTS:
        assert segment(doc.text) == segment(doc.text)


# -- tokenize_texts: many texts at once, the same tokens ------------------------------------------------


def _one_at_a_time(texts: list[str]) -> list[list[int]]:
    return [[x for t in tokenize(text) for x in (t.start, t.end)] for text in texts]


def _at_once(texts: list[str]) -> list[list[int]]:
    offsets, counts = tokenize_texts(texts)
    assert offsets.shape == (int(counts.sum()), 2) and len(counts) == len(texts)
    ends = np.cumsum(counts)
    return [offsets[end - n : end].ravel().tolist() for n, end in zip(counts, ends)]


def test_tokenize_texts_on_the_corpus_and_hard_cases():
    texts = [s.text for d in DOCUMENTS for s in d.sentences]
    texts += [
        "", " ", "a", "12", "٣٤ 12", "a:b", "http://x.vn/a, https://y.vn.", "17/01/2023 13:55 1.000,5 2023-01-17",
        "Vietnam-Laos «Lào» (Hà Nội).", "x\u0301y ½ ab12 12ab 𝐀bc 😀!", "\u2028a\x1cb", "h h: hh://", "…", "a\ud800b 0",
    ]
    assert _at_once(texts) == _one_at_a_time(texts)
    assert [token_offsets(t) for t in texts] == _one_at_a_time(texts)


_MIXED = st.lists(
    st.one_of(
        st.sampled_from(list("ab hé:/.,-«»()…12٣\u0301\u00a0\u3000\x1c\t") + ["http://", "https://x.vn"]),
        st.sampled_from(["ນະຄອນຫຼວງວຽງຈັນ", "ສປປ", "ເວียง", "ភ្នំពេញ", "ရန်", "\u0eb1", "\u0e48", "໒໐", "\u200d"]),
        st.characters(),
    ),
    max_size=20,
).map("".join)


@given(st.lists(_MIXED, max_size=6))
@settings(max_examples=300, deadline=None)
def test_tokenize_texts_is_tokenize_on_arbitrary_texts(texts):
    assert _at_once(texts) == _one_at_a_time(texts)
    assert [token_offsets(t) for t in texts] == _one_at_a_time(texts)


def test_every_python_letter_is_a_regex_letter():
    """What the whitespace-chunk shortcut relies on: ``str.isalpha`` implies ``\\p{L}``."""
    letters = "".join(c for c in map(chr, range(0x110000)) if c.isalpha())
    assert regex.fullmatch(r"\p{L}*", letters)


#: A Thai and a Khmer sentence with their names ("The Prime Minister of Thailand travelled to the city
#: of Vientiane, Laos"; "The Prime Minister of Cambodia went to the city of Vientiane, Laos.").
_SENTENCES_WITH_NAMES = [
    ("th", "นายกรัฐมนตรีแห่งประเทศไทยเดินทางไปกรุงเวียงจันทน์ ประเทศลาว", ["ไทย", "เวียงจันทน์", "ลาว"]),
    ("km", "នាយករដ្ឋមន្ត្រីកម្ពុជាបានទៅទីក្រុងវៀងចន្ទ ប្រទេសឡាវ។", ["កម្ពុជា", "វៀងចន្ទ", "ឡាវ"]),
]


@pytest.mark.parametrize("lang, text, names", _SENTENCES_WITH_NAMES, ids=[x[0] for x in _SENTENCES_WITH_NAMES])
def test_names_in_thai_and_khmer_survive_the_tags(lang, text, names):
    """Segmentation level of the extension path: one sentence, its names as GPE spans, IOB2 tags and back."""
    (sentence,) = segment(text)
    offsets = [(t.start, t.end) for t in sentence.tokens]
    spans = [Span(text.find(n), text.find(n) + len(n), "GPE") for n in names]
    tags = spans_to_tags(offsets, spans)
    assert tags_to_spans(offsets, tags) == spans
    assert [text[s.start : s.end] for s in tags_to_spans(offsets, tags)] == names



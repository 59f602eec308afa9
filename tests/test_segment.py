import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vietlao.corpus import load_corpus
from vietlao.segment import LINE_BREAKS, segment, tokenize

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

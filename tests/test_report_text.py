"""vietlao.report.text: text cut only between grapheme clusters (Lao, Vietnamese, Russian), attributes."""

from pathlib import Path

import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from vietlao.dataset.linking import SeenRule
from vietlao.report.text import Mark, SurfaceForms, pieces, script_of, slug, snap

LAO = (Path(__file__).parent / "data" / "lao_leaders.txt").read_text(encoding="utf-8").splitlines()[0]
VI = "Chủ tịch nước Tô Lâm hội đàm với Tổng Bí thư, Chủ tịch nước Lào."
RU = "Президент Лаоса Тхонглун Сисулит встретился с То Ламом."
DECOMPOSED = "Tô Lâm".replace("ô", "o\u0302").replace("â", "a\u0302")  # combining marks: two-code-point clusters


def _edges(text: str) -> set[int]:
    return {0, *(m.end() for m in regex.finditer(r"\X", text))}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([LAO, VI, RU, DECOMPOSED]), st.data())
def test_pieces_rebuild_the_text_and_never_cut_a_cluster(text, data):
    n = len(text)
    spans = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, n)).filter(lambda t: t[0] < t[1]),
                               max_size=4))
    marks = [Mark(a, b, "PER") for a, b in spans]
    out = pieces(text, marks)
    assert "".join(p.text for p in out) == text
    edges, at = _edges(text), 0
    for p in out:
        at += len(p.text)
        assert at in edges
    for before, after in zip(marks, snap(text, marks)):
        assert after.start <= before.start and before.end <= after.end
        assert after.widened == ((after.start, after.end) != (before.start, before.end))


def test_a_lao_span_ending_inside_a_cluster_is_widened_not_cut():
    word = "ທອງລຸນ"  # ທ ອ ງ ລ ຸ ນ: the vowel sign U+0EB8 belongs to ລ
    text = f"ທ່ານ {word}"
    start = text.index(word)
    (mark,) = snap(text, [Mark(start, start + 4, "PER")])  # ends between ລ and its vowel sign
    assert (mark.start, mark.end, mark.widened) == (start, start + 5, True)
    assert [p.text for p in pieces(text, [mark])] == ["ທ່ານ ", "ທອງລຸ", "ນ"]


def test_script_of_a_sentence():
    assert [script_of(t) for t in (LAO, VI, RU, "2024")] == ["Lao", "Latin", "Cyrillic", "none"]
    assert slug("wrong entity") == "wrong-entity" and slug("boundary+type") == "boundary-type"


def test_seen_surface_forms_follow_the_protocol():
    rows = [
        {"doc_id": "a", "split": "train", "lang": "vi", "text": "Lào", "entities": [{"start": 0, "end": 3}]},
        {"doc_id": "b", "split": "test", "lang": "vi", "text": "Lào", "entities": [{"start": 0, "end": 3}]},
    ]
    assert SurfaceForms(SeenRule.parse("train"), rows).seen("Lào", "b")
    assert not SurfaceForms(SeenRule.parse("validation"), rows).seen("Lào", "b")
    other = SurfaceForms(SeenRule.parse("other-documents"), rows)
    assert other.seen("Lào", "a") and other.seen("Lào", "b")
    assert not SurfaceForms(SeenRule.parse("other-documents"), rows[:1]).seen("Lào", "a")

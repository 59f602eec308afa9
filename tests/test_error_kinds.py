"""vietlao.evaluation.error_kinds: why a prediction is not a true positive, and which gold spans were missed."""

from vietlao.evaluation.error_kinds import gold_kinds, match_kind
from vietlao.spans import Span

GOLD = [Span(0, 6, "PER", "to_lam"), Span(10, 14, "GPE", "laos")]


def test_every_kind_of_a_prediction():
    assert match_kind(Span(0, 6, "PER", "to_lam"), GOLD) == "exact"
    assert match_kind(Span(0, 6, "PER", "thongloun_sisoulith"), GOLD) == "wrong_entity"
    assert match_kind(Span(0, 6, "ORG", "to_lam"), GOLD) == "wrong_type"
    assert match_kind(Span(0, 3, "PER", "to_lam"), GOLD) == "boundary"
    assert match_kind(Span(4, 12, "LOC"), GOLD) == "boundary_and_type"
    assert match_kind(Span(20, 25, "ORG"), GOLD) == "spurious"
    assert match_kind((10, 14, "GPE"), [(10, 14, "GPE")]) == "exact"  # tuples: no entity on either side


def test_gold_side():
    assert gold_kinds(GOLD, [Span(0, 6, "PER", "to_lam"), Span(11, 13, "GPE")]) == ["exact", "overlapped"]
    assert gold_kinds(GOLD, []) == ["missed", "missed"]

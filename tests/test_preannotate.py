import hashlib

import pytest

from vietlao import label_config as lc
from vietlao.corpus.documents import load_corpus
from vietlao.export.task import Context, convert_task
from vietlao.corpus.inventory import CanonicalEntity, load_inventory
from vietlao.paths import project
from vietlao.labelstudio.preannotate import build_gazetteer, coverage, model_version, preannotate, prediction
from vietlao.corpus.segment import tokenize
from vietlao.labelstudio.tasks import ls_result

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


def _inv(*rows):
    """Entities from rows; every name in another language gets a (test) source, as the inventory requires."""
    return {
        r["id"]: CanonicalEntity.model_validate(r | {"sources": {lang: "https://example.org/" + lang for lang in r.get("names", {})}})
        for r in rows
    }


INVENTORY = _inv(
    {"id": "laos", "type": "GPE", "name": "Laos", "names": {"lo": "ລາວ"}},
    {"id": "vietnam", "type": "GPE", "name": "Vietnam", "forms": {"vi": ["Việt Nam"], "ru": ["Вьетнам", "Вьетнама"]},
     "names": {"lo": "ຫວຽດນາມ"}},
    {"id": "vientiane", "type": "GPE", "name": "Vientiane", "names": {"lo": "ວຽງຈັນ"}},
    {"id": "park", "type": "LOC", "name": "Laos–Vietnam Friendship Park (Vientiane)"},
    {"id": "new_zealand", "type": "GPE", "name": "New Zealand"},
    {"id": "twin_a", "type": "ORG", "name": "Twin"},
    {"id": "twin_b", "type": "PER", "name": "Twin"},
)


def _spans(text, lang="nb"):
    return [(text[m.start : m.end], m.label, m.entity_id) for m in preannotate(text, lang, INVENTORY)]


def test_model_version_is_the_inventory_checksum():
    digest = hashlib.sha256(project().inventory.read_bytes()).hexdigest()[:8]
    assert model_version() == f"gazetteer-{digest}"


def test_longest_match_wins_and_parenthesis_is_optional():
    text = "Møtet i Laos–Vietnam Friendship Park samlet Laos og Vietnam."
    assert _spans(text) == [
        ("Laos–Vietnam Friendship Park", "LOC", "park"), ("Laos", "GPE", "laos"), ("Vietnam", "GPE", "vietnam"),
    ]


def test_matches_are_token_aligned():
    # "Vietnamese" and "Laotian" contain the names but are other tokens; hyphens split tokens
    assert _spans("Vietnamese and Laotian officials met.") == []
    assert _spans("Vietnam-Laos cooperation") == [("Vietnam", "GPE", "vietnam"), ("Laos", "GPE", "laos")]
    assert _spans("New  Zealand") == [("New  Zealand", "GPE", "new_zealand")]
    assert _spans("New Zealander") == []


def test_forms_apply_to_their_language_only():
    assert _spans("Quan hệ Việt Nam – Lào", "vi") == [("Việt Nam", "GPE", "vietnam")]
    assert _spans("Quan hệ Việt Nam – Lào", "nb") == []
    assert _spans("отношения Вьетнама и Лаоса", "ru") == [("Вьетнама", "GPE", "vietnam")]


def test_lao_names_are_matched_on_syllables():
    """A Lao name glued to the words around it is found: tokens are syllables."""
    text = "ທີ່ນະຄອນຫຼວງວຽງຈັນ ສອງຝ່າຍ ລາວ-ຫວຽດນາມ"
    assert _spans(text, "lo") == [("ວຽງຈັນ", "GPE", "vientiane"), ("ລາວ", "GPE", "laos"), ("ຫວຽດນາມ", "GPE", "vietnam")]
    assert _spans(text, "vi") == []  # names apply to their language only


def test_ambiguous_forms_are_left_out():
    assert ("Twin",) not in build_gazetteer(INVENTORY, "nb")
    assert _spans("Twin met Laos") == [("Laos", "GPE", "laos")]


def test_prediction_has_mentions_but_no_stance():
    data = {"text": "Laos og Vietnam.", "lang": "nb", "sentence_id": "000-000"}
    p = prediction(data, INVENTORY, "gazetteer-test")
    assert p["model_version"] == "gazetteer-test"
    assert 0.0 <= p["score"] <= 1.0
    assert {r["from_name"] for r in p["result"]} == {lc.ENTITY_LABELS, lc.ENTITY_ID}
    assert not any(r["from_name"] == lc.STANCE for r in p["result"])


def test_coverage_score():
    text = "Møtet i Laos med Ola Nordmann."
    mentions = preannotate(text, "nb", INVENTORY)
    assert coverage(text, mentions) == pytest.approx(1 / 3, abs=1e-4)
    assert coverage("ingen navn her.", []) == 1.0


def test_corpus_predictions_are_valid_regions():
    """On the real corpus: aligned, non-overlapping, and accepted by the export validator."""
    inventory = load_inventory()
    ctx = Context(inventory={e.id: e.type for e in inventory.values()})
    total = 0
    for doc in load_corpus():
        for i, s in enumerate(doc.sentences):
            mentions = preannotate(s.text, doc.meta.lang, inventory)
            tokens = tokenize(s.text)
            starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
            assert all(m.start in starts and m.end in ends for m in mentions)
            assert all(a.end <= b.start for a, b in zip(mentions, mentions[1:]))
            sid = doc.sentence_id(i)
            task = {
                "id": 1,
                "data": {"text": s.text, "doc_id": doc.doc_id, "sentence_id": sid, "lang": doc.meta.lang, "offset": s.start},
                "annotations": [{"result": ls_result(sid, s.text, mentions, "neutral")}],
            }
            convert_task(task, ctx)
            total += len(mentions)
    assert total > 50  # the names in English match the nb and id texts at least

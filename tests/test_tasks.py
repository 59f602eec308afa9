"""Sentence tasks carry their context; result items use the entity picker's form."""

from vietlao import label_config as lc
from vietlao.corpus.documents import load_corpus
from vietlao.export.task import Context, convert_task
from vietlao.spans import Span
from vietlao.labelstudio.tasks import CONTEXT_SENTENCES, NO_OUTLET, NO_TITLE, SENTENCE_KEYS, ls_result, sentence_tasks

import pytest  # noqa: E402

#: Reads the project's corpus, export or dataset: also run on an extended copy (tests/test_extension.py).
pytestmark = pytest.mark.corpus


def test_every_task_shows_two_sentences_either_side_and_the_labelled_text_is_the_sentence():
    for doc in load_corpus():
        tasks = sentence_tasks([doc])
        sentences = doc.sentences
        assert len(tasks) == len(sentences)
        for i, (data, s) in enumerate(zip(tasks, sentences)):
            assert set(data) == set(SENTENCE_KEYS) | set(lc.CONTEXT_KEYS)
            assert data["text"] == s.text == doc.text[data["offset"] : data["offset"] + len(s.text)]
            before = sentences[max(0, i - CONTEXT_SENTENCES) : i]
            after = sentences[i + 1 : i + 1 + CONTEXT_SENTENCES]
            assert data[lc.CONTEXT_BEFORE] == (doc.text[before[0].start : before[-1].end] if before else "")
            assert data[lc.CONTEXT_AFTER] == (doc.text[after[0].start : after[-1].end] if after else "")
            assert data["title"] == (doc.meta.title or NO_TITLE) and data["outlet"] == (doc.meta.outlet or NO_OUTLET)
        if len(sentences) > 3:
            assert tasks[0][lc.CONTEXT_BEFORE] == "" and tasks[-1][lc.CONTEXT_AFTER] == ""
            assert sentences[0].text in tasks[2][lc.CONTEXT_BEFORE] and sentences[1].text in tasks[2][lc.CONTEXT_BEFORE]


def test_result_items_hold_the_picked_entity_on_the_regions_id_and_validate():
    doc = next(d for d in load_corpus() if d.doc_id == "000")
    data = sentence_tasks([doc])[0]
    text = data["text"]
    start = text.index("Vietnam")
    mention = Span(start, start + len("Vietnam"), "GPE", "vietnam")
    result = ls_result(data["sentence_id"], text, [mention], "favor")
    label, picked, stance = result
    assert picked["id"] == label["id"] and picked["from_name"] == lc.ENTITY_ID and picked["type"] == "choices"
    assert picked["value"][lc.ENTITY_ID_KEY] == ["vietnam"]
    task = {"id": 1, "data": data, "annotations": [{"result": result, "completed_by": 1}]}
    record = convert_task(task, Context(inventory={"vietnam": "GPE"}, documents={doc.doc_id: doc}))
    assert record.mentions == (mention,) and record.stance == "favor"

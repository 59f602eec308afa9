"""vietlao.assist.service: what ``ls push`` and ``ls backend`` run. The push predictor names the
model version without training, trains on the first task that needs a prediction and only then, and
predicts as the trained model does; the backend refuses a project that does not exist."""

from __future__ import annotations

import pytest

from vietlao.assist import service
from vietlao.assist.model_preannotate import train, version_of
from vietlao.errors import UserError
from vietlao.labelstudio.tasks import sentence_tasks
from vietlao.corpus.documents import load_corpus


def test_the_push_predictor_trains_once_and_only_when_asked(monkeypatch):
    calls = []

    def counted(*args):
        calls.append(args[0])
        return train(*args)

    monkeypatch.setattr(service, "train", counted)
    version, predictor = service.push_predictor("crf")
    ner, stance, inventory, ctx = service.gold_sources()
    assert version == version_of("crf", ner, stance, inventory) and calls == []
    data = sentence_tasks(load_corpus())[:2]
    first, second = predictor(data[0]), predictor(data[1])
    assert calls == ["crf"]
    assert first is not None and first["model_version"] == version
    assert first == train("crf", ner, stance, inventory).prediction(data[0], ctx) and second is not None


class _NoProjects:
    url = "http://127.0.0.1:9"

    def find_project(self, title):
        return None


def test_the_backend_names_a_missing_project():
    with pytest.raises(UserError, match="no project titled 'nope' at http://127.0.0.1:9: create it with `vietlao ls push`"):
        service.run_backend("crf", 0, 1.0, _NoProjects(), "nope")  # type: ignore[arg-type]

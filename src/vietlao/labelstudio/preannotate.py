"""A gazetteer pre-annotator: inventory names and forms, matched on token boundaries.

It proposes entity mentions only. It makes no stance prediction: a constant guess would only
anchor the annotators, so the stance is left for them to choose.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping

from vietlao.spans import Span
from vietlao.corpus.gazetteer import Matcher, entity_names, unambiguous
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.corpus.segment import tokenize
from vietlao.labelstudio.tasks import ls_result
from vietlao.paths import project


def model_version(path: Path | None = None) -> str:
    """``gazetteer-`` and the first 8 hex digits of the inventory file's sha256 (default: the
    project's ``annotations/entities.yaml``)."""
    try:
        digest = hashlib.sha256((path or project().inventory).read_bytes()).hexdigest()[:8]
    except OSError:
        digest = "missing"
    return f"gazetteer-{digest}"


Gazetteer = dict[tuple[str, ...], tuple[str, str]]


def surface_forms(entity: CanonicalEntity, lang: str) -> set[str]:
    """The entity's name (also without a trailing parenthesis), its name in ``lang`` (``names``: a
    language not yet in the gold, such as Lao) and its forms in ``lang``."""
    return entity_names(entity.name, entity.names, lang, entity.forms.get(lang, []))


def build_gazetteer(inventory: Mapping[str, CanonicalEntity], lang: str) -> Gazetteer:
    """Token sequence -> (type, entity id). A form claimed by two entities is left out."""
    return unambiguous((form, (e.type, e.id)) for e in inventory.values() for form in surface_forms(e, lang))


def preannotate(text: str, lang: str, inventory: Mapping[str, CanonicalEntity]) -> list[Span]:
    """Leftmost-longest, non-overlapping, token-aligned gazetteer matches in ``text``
    (:class:`vietlao.corpus.gazetteer.Matcher`)."""
    tokens = tokenize(text)
    matcher = Matcher(build_gazetteer(inventory, lang))
    return [Span(tokens[a].start, tokens[b - 1].end, label, entity_id)
            for a, b, label, entity_id in matcher.matches([t.text for t in tokens])]


def coverage(text: str, mentions: list[Span]) -> float:
    """Share of capitalised tokens (the first token excepted) that the mentions cover.

    A gazetteer has no confidence of its own; this score says how much of what looks like a
    name it recognised, so low scores point annotators at sentences it probably missed.
    """
    candidates = [t for t in tokenize(text)[1:] if t.text[:1].isupper()]
    if not candidates:
        return 1.0
    covered = sum(any(m.start <= t.start and t.end <= m.end for m in mentions) for t in candidates)
    return round(covered / len(candidates), 4)


def prediction(task_data: dict, inventory: Mapping[str, CanonicalEntity], version: str | None = None) -> dict:
    """A Label Studio prediction for one sentence task: mentions only, no stance (``version``
    default: :func:`model_version`)."""
    text = task_data["text"]
    mentions = preannotate(text, task_data["lang"], inventory)
    return {
        "model_version": version or model_version(),
        "score": coverage(text, mentions),
        "result": ls_result(task_data["sentence_id"], text, mentions, None),
    }

"""Error anatomy of a peer's predictions against the gold coarse spans (for the README's reading).

This is not the scorer: the headline figures come from ``vietlao.evaluation.evaluate``. It only sorts each
prediction and each gold mention into why it did or did not match exactly
(:func:`vietlao.evaluation.error_kinds.match_kind`):

* ``exact``: same span, same coarse type (a true positive for the scorer);
* ``wrong_type``: same span, other type;
* ``boundary``: overlapping, same type, other span (e.g. a title included: ``Thủ tướng Phạm Minh Chính``);
* ``boundary_and_type``: overlapping, other span and other type;
* ``spurious``: a prediction overlapping no gold mention;
* ``missed``: a gold mention overlapped by no prediction.

It also counts predictions whose edges fall inside a project token (the tool tokenised differently),
predictions longer than a gold span they contain or covering several (a title or a neighbouring name
swallowed), gold spans split across predictions, recall per gold person (by ``entity_id``), and recall
per *fine* gold type, which shows what the coarse LOC/MISC hide (GPE vs LOC, EVENT vs MISC).

``surfaces`` lists the texts behind those counts, most frequent first (the examples quoted in
``RESULTS.md`` come from there): predictions that swallow a gold person, cover several
gold mentions, sit inside a longer gold mention, match nothing or get the type wrong, and the gold
mentions the tool's word segmentation cannot produce, with the tool's words around them.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from vietlao.evaluation.error_kinds import match_kind
from vietlao.paths import project

def load_gold(lang: str) -> dict[str, dict]:
    """Gold per sentence id of ``lang`` from the built dataset: text, token edges, fine+coarse spans."""
    import datasets

    from vietlao.labels import COARSE_OF

    root = project().dataset
    loaded = datasets.load_dataset(str(root), "ner")
    gold: dict[str, dict] = {}
    for split in loaded.values():
        names = split.features["entities"].feature["label"].names
        for row in split:
            if row["lang"] != lang:
                continue
            spans = []
            for e in row["entities"]:
                fine = names[e["label"]] if isinstance(e["label"], int) else e["label"]
                spans.append((e["start"], e["end"], fine, COARSE_OF[fine], e.get("entity_id")))
            gold[row["id"]] = {
                "text": row["text"],
                "starts": {a for a, _ in row["token_offsets"]},
                "ends": {b for _, b in row["token_offsets"]},
                "spans": spans,
            }
    return gold


def read_predictions(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    out = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out[row["id"]] = [(e["start"], e["end"], e["label"]) for e in row["entities"]]
    return out


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ranked(counter: Counter, keys: tuple[str, ...]) -> list[dict]:
    """``counter`` of key tuples as a list of dicts with a count ``n``, most frequent first, then by key."""
    return [dict(zip(keys, key), n=n) for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))]


def anatomy(
    predictions: dict[str, list[tuple[int, int, str]]],
    gold: dict[str, dict],
    tool_words: dict[str, list[tuple[int, int]]] | None = None,
) -> dict:
    """Counts of match kinds, span shapes, recall per person and per fine gold type.

    With ``tool_words`` (the tool's own word offsets per sentence) it also counts the gold spans
    whose edges are not word edges of the tool: mentions its tokenisation cannot produce exactly.
    """
    unreachable: Counter = Counter()
    kinds: Counter = Counter()
    per_pred_label: dict[str, Counter] = defaultdict(Counter)
    fine_total: Counter = Counter()
    fine_exact: Counter = Counter()
    fine_overlapped: Counter = Counter()
    off_token = 0
    n_pred = 0
    shape: Counter = Counter()
    people: dict[str, Counter] = defaultdict(Counter)
    person_surface: dict[str, Counter] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for sid, g in gold.items():
        text = g["text"]
        gold_spans = [s for s in g["spans"] if s[3] is not None]
        preds = predictions.get(sid, [])
        n_pred += len(preds)
        for p in preds:
            if p[0] not in g["starts"] or p[1] not in g["ends"]:
                off_token += 1
            same = [s for s in gold_spans if (s[0], s[1]) == (p[0], p[1])]
            over = [s for s in gold_spans if _overlap(s, p)]
            kind = match_kind(p, [(s[0], s[1], s[3]) for s in gold_spans])
            kinds[kind] += 1
            ptext = text[p[0]:p[1]]
            inside = [s for s in over if p[0] <= s[0] and s[1] <= p[1] and (s[0], s[1]) != (p[0], p[1])]
            if inside:
                shape["longer_than_a_gold_span"] += 1
            if any(s[3] == "PER" for s in inside):
                surfaces["swallows_person"][(ptext, p[2])] += 1
            if len(over) >= 2:
                shape["covers_several_gold_spans"] += 1
                surfaces["covers_several"][(ptext, p[2], " / ".join(f"{text[s[0]:s[1]]}:{s[3]}" for s in over))] += 1
            for s in over:
                if s[0] <= p[0] and p[1] <= s[1] and (s[0], s[1]) != (p[0], p[1]):
                    surfaces["inside_gold"][(ptext, p[2], text[s[0]:s[1]], s[3])] += 1
            if kind == "spurious":
                surfaces["spurious"][(ptext, p[2])] += 1
            elif kind == "wrong_type":
                surfaces["wrong_type"][(ptext, p[2], same[0][3])] += 1
            per_pred_label[p[2]][kind] += 1
            if kind != "exact" and len(examples[kind]) < 8:
                gold_text = " / ".join(f"{text[s[0]:s[1]]}:{s[3]}" for s in over) or "-"
                examples[kind].append(f"{sid} {text[p[0]:p[1]]!r}:{p[2]} (gold {gold_text})")
        if tool_words is not None:
            words = tool_words.get(sid, [])
            starts, ends = {a for a, _ in words}, {b for _, b in words}
            for s in gold_spans:
                if s[0] not in starts or s[1] not in ends:
                    unreachable[s[2]] += 1
                    around = [w for w in words if _overlap(w, s)]
                    cover = text[min(a for a, _ in around):max(b for _, b in around)] if around else ""
                    surfaces["unreachable"][(text[s[0]:s[1]], s[2], cover)] += 1
                    if len(examples["unreachable"]) < 8:
                        examples["unreachable"].append(f"{sid} {text[s[0]:s[1]]!r}:{s[2]}")
        for s in gold_spans:
            if sum(_overlap(s, p) for p in preds) >= 2:
                shape["gold_split_into_several"] += 1
            if s[2] == "PER":
                who = people[s[4] or text[s[0]:s[1]]]
                person_surface[s[4] or text[s[0]:s[1]]][(text[s[0]:s[1]],)] += 1
                who["gold"] += 1
                who["exact"] += any((p[0], p[1], p[2]) == (s[0], s[1], "PER") for p in preds)
                who["inside_longer_prediction"] += any(
                    p[0] <= s[0] and s[1] <= p[1] and (p[0], p[1]) != (s[0], s[1]) for p in preds
                )
            fine_total[s[2]] += 1
            if any((p[0], p[1], p[2]) == (s[0], s[1], s[3]) for p in preds):
                fine_exact[s[2]] += 1
            if any(_overlap(s, p) for p in preds):
                fine_overlapped[s[2]] += 1
            else:
                kinds["missed"] += 1
                if len(examples["missed"]) < 8:
                    examples["missed"].append(f"{sid} {text[s[0]:s[1]]!r}:{s[2]}")
    return {
        "n_predicted": n_pred,
        "n_gold": sum(fine_total.values()),
        "kinds": dict(kinds),
        "per_predicted_label": {k: dict(v) for k, v in sorted(per_pred_label.items())},
        "predictions_off_project_tokens": off_token,
        "span_shape": dict(shape),
        "gold_not_on_tool_word_edges": None if tool_words is None else dict(unreachable),
        "persons": {
            k: {**v, "surface": _ranked(person_surface[k], ("text",))[0]["text"]}
            for k, v in sorted(people.items())
        },
        "recall_by_fine_type": {
            t: {"gold": fine_total[t], "exact": fine_exact[t], "overlapped": fine_overlapped[t]}
            for t in sorted(fine_total)
        },
        "examples": dict(examples),
        "surfaces": {
            "swallows_person": _ranked(surfaces["swallows_person"], ("text", "label")),
            "covers_several": _ranked(surfaces["covers_several"], ("text", "label", "gold")),
            "inside_gold": _ranked(surfaces["inside_gold"], ("text", "label", "gold", "gold_label")),
            "spurious": _ranked(surfaces["spurious"], ("text", "label")),
            "wrong_type": _ranked(surfaces["wrong_type"], ("text", "label", "gold_label")),
            "unreachable": _ranked(surfaces["unreachable"], ("gold", "gold_label", "tool_words")),
        },
    }

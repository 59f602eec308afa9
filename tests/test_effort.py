"""Effort saved by pre-annotation: the annotator's edits, counted and summarised."""

from __future__ import annotations

import json

import numpy as np

from vietlao.assist.effort import COUNTS, compare, effort_section, effort_table, seen_inventory, summarise
from vietlao.assist.model_preannotate import DEFAULT_MODEL
from vietlao.corpus.inventory import load_inventory
from vietlao.paths import project
from vietlao.spans import Span


def test_compare_counts_what_an_annotator_changes():
    gold = [Span(0, 5, "PER", "a"), Span(10, 15, "GPE", "laos"), Span(20, 25, "DATE", None), Span(30, 35, "ORG", "o")]
    pred = [Span(0, 5, "PER", "a"),            # unchanged
            Span(10, 14, "GPE", "laos"),       # boundary fix, right ID
            Span(20, 25, "MONEY", None),       # label fix
            Span(40, 45, "MISC", None)]        # delete; ORG [30, 35) is to add
    assert compare(gold, pred) == {"gold": 4, "linked": 3, "unchanged": 1, "fix": 2, "add": 1, "delete": 1,
                                   "ids_correct": 2}


def test_compare_pairs_each_span_once_by_largest_overlap():
    gold = [Span(0, 10, "ORG", "x")]
    pred = [Span(0, 3, "ORG", "x"), Span(2, 10, "ORG", "y")]
    counts = compare(gold, pred)
    assert (counts["fix"], counts["delete"], counts["ids_correct"]) == (1, 1, 0)


def test_summarise_scales_per_100_gold_mentions_with_intervals():
    row = dict.fromkeys(COUNTS, 0)
    rows = []
    for unchanged, add, stance in ((2, 0, 1), (1, 1, 0)):
        row.update(gold=unchanged + add, linked=unchanged + add, unchanged=unchanged, add=add,
                   ids_correct=unchanged, stance_accepted=stance)
        rows.append([row[k] for k in COUNTS])
    block = summarise(np.array(rows, dtype=float), n_boot=200, boot_seed=0)
    assert block["unchanged"]["value"] == 75.0 and block["add"]["value"] == 25.0
    assert block["stance_choices"]["value"] == 25.0 and block["all_edits"]["value"] == 50.0
    assert block["stance_accepted"]["value"] == 0.5
    assert block["edits"]["ci_low"] <= 25.0 <= block["edits"]["ci_high"]


def test_seen_inventory_keeps_only_forms_of_the_training_documents():
    inventory = load_inventory()
    entity = next(e for e in inventory.values() if any(e.forms.values()))
    lang, forms = next((lang, fs) for lang, fs in entity.forms.items() if fs)
    rows = [{"lang": lang, "entities": [{"entity_id": entity.id, "text": forms[0]}]}]
    kept = seen_inventory(inventory, rows)
    assert kept[entity.id].forms[lang] == [forms[0]] and kept[entity.id].name == entity.name
    assert all(not any(e.forms.values()) for k, e in kept.items() if k != entity.id)


def test_the_push_default_is_the_fewest_edits_of_the_published_results():
    results = json.loads(project().results.joinpath("results.json").read_text(encoding="utf-8"))
    assert results["preannotation"]["fewest_edits"] == DEFAULT_MODEL
    table = effort_table(results["preannotation"])
    assert all(f"`{name}`" in table for name in results["preannotation"]["rows"])
    assert effort_section(results) in project().results_table.read_text(encoding="utf-8")
    assert effort_section({}) == ""

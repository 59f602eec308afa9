"""``vietlao evaluate --compare``: two predictions files on the same gold, and whether they differ.

Both files are read and checked exactly as ``vietlao evaluate`` checks one, then compared metric by
metric with the paired tests of :mod:`vietlao.evaluation.significance` (paired bootstrap and
approximate randomization over the same sentences, or documents with ``--unit document``; seeded):

=============== ======================================================================
task            metrics (``comparison.tests`` keys)
=============== ======================================================================
ner             strict F1: ``micro`` and every type of the tag set
stance          ``macro_f1``, ``accuracy``, ``f_avg``
linking         ``accuracy`` (accuracy@1; units: sentences, every mention with its sentence)
ner+linking     ``micro``: end-to-end F1 (span, type and ID right)
=============== ======================================================================

Output, under ``comparison``::

    {"a": "<file A>", "b": "<file B>", "unit": "sentence", "n_units": 116, "resamples": 1000,
     "seed": 0, "level": 0.95, "method": "...",
     "tests": {"micro": {"metric", "value_a", "value_b", "difference", "ci_low", "ci_high",
                         "p_bootstrap", "p_randomization", ...}, ...}}

``difference`` is A − B. A file in the ``ner_tags`` form is compared only with another such file
(the gold they are scored against differs between the forms).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

from vietlao.errors import UserError
from vietlao.evaluation import linking
from vietlao.evaluation.evaluate import ner_inputs
from vietlao.evaluation.gold import LINKING_TASKS, load_gold, parse_splits
from vietlao.evaluation.predictions import check_predictions, join_by_id, read_predictions
from vietlao.evaluation.significance import METHOD, compare_linking, compare_ner, compare_stance
from vietlao.labels import COARSE_TYPES, ENTITY_TYPES

__all__ = ["compare", "compare_records", "format_comparison"]


def compare_records(
    task: str,
    gold: list[dict],
    records_a: list[dict],
    records_b: list[dict],
    *,
    tagset: str | None = None,
    scheme: str = "iob2",
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
    sources: tuple[str, str] = ("A", "B"),
    context: linking.LinkingContext | None = None,
) -> dict:
    """The ``comparison`` block of two sets of prediction records against the same ``gold`` rows."""
    if n_boot < 1:
        raise UserError(f"--bootstrap {n_boot}: a comparison needs at least 1 resample")
    common: dict[str, Any] = {"n_resamples": n_boot, "seed": seed}
    if task in LINKING_TASKS:
        context = context or linking.load_context(None)
        key = "doc_id" if unit == "document" else "sentence_id"
        if task == "linking":
            tops = [linking.ranked_predictions(gold, join_by_id(gold, r, s), context.kb, s)[0] for r, s in zip((records_a, records_b), sources)]
            tests = compare_linking([g["entity_id"] for g in gold], *tops, groups=[g[key] for g in gold], unit=unit,
                                    **common)
        else:
            chunks = [linking.end_to_end_chunks(gold, join_by_id(gold, r, s), context.kb, s) for r, s in
                      zip((records_a, records_b), sources)]
            groups = [g["doc_id"] for g in gold] if unit == "document" else None
            tests = {"micro": compare_ner(chunks[0][0], chunks[0][1], chunks[1][1], groups=groups, unit=unit,
                                          **common)["micro"]}
    else:
        preds = [check_predictions(task, gold, r, s, tagset) for r, s in zip((records_a, records_b), sources)]
        groups = [g["doc_id"] for g in gold] if unit == "document" else None
        if task == "ner":
            (form_a, g, pa), (form_b, _, pb) = (ner_inputs(gold, p, tagset, scheme, s) for p, s in zip(preds, sources))
            if form_a != form_b:
                raise UserError(f"{sources[0]} holds \"{form_a}\" and {sources[1]} \"{form_b}\": compare two files "
                                "of one form (both ner_tags or both entities)")
            types = COARSE_TYPES if tagset == "coarse" else ENTITY_TYPES
            tests = compare_ner(g, pa, pb, types=types, scheme=scheme, groups=groups, unit=unit, **common)
        else:
            tests = compare_stance([x["label"] for x in gold], *([x["label"] for x in p] for p in preds),
                                   groups=groups, unit=unit, **common)
    first = next(iter(tests.values()))
    return {"a": sources[0], "b": sources[1], "unit": first.unit, "n_units": first.n_units, "resamples": n_boot,
            "seed": seed, "level": first.level, "method": METHOD,
            "tests": {name: r.to_dict() for name, r in tests.items()}}


def compare(
    task: str,
    predictions_a: Path | str,
    predictions_b: Path | str,
    split: str | Sequence[str] = "test",
    *,
    tagset: str | None = None,
    scheme: str = "iob2",
    langs: Iterable[str] | None = None,
    dataset_dir: Path | str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
) -> dict:
    """Compare two predictions files on the gold of ``split`` (options as :func:`evaluate`)."""
    gold = load_gold(task, parse_splits(split), dataset_dir, sorted(langs) if langs else None)
    context = linking.load_context(dataset_dir) if task in LINKING_TASKS else None
    return compare_records(task, gold, read_predictions(predictions_a), read_predictions(predictions_b),
                           tagset=tagset, scheme=scheme, n_boot=n_boot, seed=seed, unit=unit,
                           sources=(str(predictions_a), str(predictions_b)), context=context)


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def format_comparison(block: dict[str, Any], alpha: float = 0.05) -> str:
    """The comparison as a few terminal lines: one row per metric."""
    level = round(100 * block["level"])
    lines = [f"paired comparison, A = {block['a']}, B = {block['b']}",
             f"{'':<12}{'A':>7}{'B':>7}  {f'A − B [{level}% CI]':<26}{'p boot':>9}{'p rand':>9}  differ at {alpha:g}"]
    for name, r in block["tests"].items():
        ci = "" if r["ci_low"] is None else f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"
        differ = r["p_bootstrap"] < alpha and r["p_randomization"] < alpha
        lines.append(f"{name:<12}{r['value_a']:>7.3f}{r['value_b']:>7.3f}  {r['difference']:+.3f}{ci:<19}"
                     f"{_p(r['p_bootstrap']):>9}{_p(r['p_randomization']):>9}  {'yes' if differ else 'no'}")
    lines.append(f"paired bootstrap and approximate randomization over {block['n_units']} {block['unit']}s, "
                 f"{block['resamples']} resamples each, seed {block['seed']}")
    return "\n".join(lines)

"""``vietlao evaluate``: score a predictions file against the gold dataset — one scorer for every model.

Predictions are JSON Lines, one object per sentence, joined to gold by ``id`` (a sentence id such
as ``"002-017"``). Every gold sentence of the chosen split(s) needs exactly one line; a missing, an
extra or a repeated id is an error that names the ids.

NER, either form (one form per file)::

    {"id": "000-003", "ner_tags": ["O", "B-PER", "I-PER", ...]}      # over the row's ``tokens``
    {"id": "000-003", "entities": [{"start": 10, "end": 22, "label": "PER"}]}

``ner_tags`` are IOB2 tags of ``vietlao.labels.NER_TAGS``, one per gold token, chunked strictly
(seqeval ``mode="strict"``, IOB2: an ``I-`` tag that continues no chunk of its type is not an
entity) and compared with the chunks of the gold tags. ``entities`` are half-open,
sentence-relative character spans (code points) compared with the gold ``entities``, so a tool's
own tokenisation never matters. With ``--tagset coarse`` both sides are mapped through
``vietlao.labels.COARSE_OF`` (GPE→LOC, EVENT→MISC; DATE and MONEY dropped); predictions may use
fine or coarse labels. Stance::

    {"id": "000-003", "label": "favor"}

Output (``--output``; stable keys)::

    {"task": "ner", "split": "test", "langs": null, "tagset": "fine",
     "input": "ner_tags" | "entities", "predictions": "<path>", "n_sentences": 49,
     "ner": {
       "micro":    {"precision", "recall", "f1", "ci_low", "ci_high",        # CI of F1
                    "precision_ci": [lo, hi], "recall_ci": [lo, hi], "tp", "n_pred", "n_gold"},
       "per_type": {"PER": {same keys}, ...},          # every type of the tag set
       "per_lang": {"nb": {same keys, "n_sentences", "partial_f1"}, ...},
       "partial":  {"definition": "...", "micro": {same keys}, "per_type": {...}},
       "n_sentences": 49,
       "ci_method": {"method": "percentile bootstrap", "unit": "sentence", "resamples": 1000,
                     "seed": 0, "level": 0.95, "description": "..."}}}

    {"task": "stance", ...,
     "stance": {
       "accuracy": {"value", "ci_low", "ci_high"},
       "macro_f1": {"value", "ci_low", "ci_high", "classes": [classes present in gold]},
       "f_avg":    {"value", "ci_low", "ci_high", "classes": ["favor", "against"], "note"?},
       "per_class": {"favor": {"precision", "recall", "f1", "support", "n_pred"}, ...},
       "confusion_matrix": {"labels": [...], "rows": "gold", "columns": "predicted",
                            "matrix": [[int]]},
       "per_lang": {"nb": {"n_sentences", "accuracy", "macro_f1", "f_avg"}, ...},
       "n_sentences": 49, "ci_method": {...}}}

The metric definitions (strict, partial, F_avg, the bootstrap) are in :mod:`vietlao.evaluation.scoring`;
``ner_scores`` and ``stance_scores`` are re-exported here for use from Python.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Iterable, Sequence

from vietlao.corpus.metadata import LANGUAGES
from vietlao.errors import UserError
from vietlao.labels import COARSE_OF, COARSE_TYPES, ENTITY_TYPES, NER_TAGS, SPLITS, STANCE_LABELS
from vietlao.evaluation import linking
from vietlao.evaluation.scoring import ner_scores, stance_scores
from vietlao.paths import project
from vietlao.spans import tag_chunks

__all__ = [
    "evaluate", "evaluate_records", "load_gold", "ner_scores", "read_predictions",
    "stance_scores", "write_predictions",
]

TASKS = ("ner", "stance", *linking.LINKING_TASKS)
_MAX_LISTED = 20


# --------------------------------------------------------------------------- gold


def _decode(value: Any, feature: Any) -> Any:
    """Plain Python values: ClassLabel ints become names, dicts of lists become lists of dicts."""
    from datasets import ClassLabel

    if value is None:
        return None
    if isinstance(feature, ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, dict):
        return {k: _decode(v, feature.get(k)) for k, v in value.items()}
    inner = getattr(feature, "feature", None)
    if isinstance(feature, list):
        inner = feature[0]
    if inner is not None:
        if isinstance(value, dict):  # legacy Sequence({...}): a dict of lists
            n = len(next(iter(value.values()), []))
            value = [{k: v[i] for k, v in value.items()} for i in range(n)]
        return [_decode(v, inner) for v in value]
    return value


def parse_splits(split: str | Sequence[str]) -> list[str]:
    """``test``, ``all`` or a comma-separated list, as a list of split names."""
    names = split.split(",") if isinstance(split, str) else list(split)
    names = [s.strip() for s in names if s.strip()]
    if names == ["all"]:
        return list(SPLITS)
    bad = [s for s in names if s not in SPLITS]
    if bad or not names:
        raise UserError(f"unknown split {', '.join(bad) or '(none)'}: choose from {', '.join(SPLITS)} or all")
    return names


def load_gold(
    task: str,
    split: str | Sequence[str] = "test",
    dataset_dir: Path | str | None = None,
    langs: Iterable[str] | None = None,
) -> list[dict]:
    """Gold rows of ``task`` as plain dicts (labels as strings), in split then dataset order."""
    if task not in TASKS:
        raise UserError(f"unknown task {task!r}: choose from {', '.join(TASKS)}")
    splits = parse_splits(split)
    dataset_dir = Path(dataset_dir) if dataset_dir is not None else project().dataset
    config = linking.GOLD_CONFIG.get(task, task)
    if not (dataset_dir / "data" / config).is_dir():
        raise UserError(f"no '{config}' data in {dataset_dir}: build the dataset first (vietlao build)")
    import datasets

    datasets.disable_progress_bars()
    try:
        loaded = datasets.load_dataset(str(dataset_dir), config)
    except Exception as exc:  # noqa: BLE001 - any loader failure is the user's dataset problem
        raise UserError(f"cannot load {dataset_dir} ({config}): {exc}") from exc
    keep = set(langs) if langs else None
    rows = []
    for name in splits:
        if name not in loaded:
            raise UserError(f"{dataset_dir} ({task}) has no split {name!r}")
        ds = loaded[name]
        for raw in ds.to_list():
            row = {k: _decode(v, ds.features[k]) for k, v in raw.items()}
            row["split"] = name
            if keep is None or row["lang"] in keep:
                rows.append(row)
    if not rows:
        raise UserError(f"no gold sentences in split {'+'.join(splits)}" + (f" for {sorted(keep)}" if keep else ""))
    return rows


# --------------------------------------------------------------------------- predictions


def read_predictions(path: Path | str) -> list[dict]:
    """The JSON objects of a JSON Lines file; blank lines are skipped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read predictions {path}: {exc}") from exc
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise UserError(f"{path}:{number}: not JSON: {exc}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise UserError(f"{path}:{number}: expected an object with a string \"id\"")
        records.append(record)
    return records


def write_predictions(path: Path | str, records: Iterable[dict]) -> Path:
    """Write prediction objects as JSON Lines (UTF-8, one object per line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _listing(ids: Iterable[str]) -> str:
    ids = sorted(ids)
    more = f" … and {len(ids) - _MAX_LISTED} more" if len(ids) > _MAX_LISTED else ""
    return ", ".join(ids[:_MAX_LISTED]) + more


def _fail(source: str, problems: list[str]) -> None:
    if problems:
        shown = problems[:_MAX_LISTED]
        more = [f"… and {len(problems) - _MAX_LISTED} more problems"] if len(problems) > _MAX_LISTED else []
        raise UserError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(shown + more))


def join_by_id(gold: list[dict], records: list[dict], source: str = "predictions") -> list[dict]:
    """The prediction record of every gold row, in gold order; id problems are errors."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r["id"]] = counts.get(r["id"], 0) + 1
    gold_ids = {g["id"] for g in gold}
    problems = []
    duplicate = [i for i, c in counts.items() if c > 1]
    missing = gold_ids - counts.keys()
    extra = counts.keys() - gold_ids
    if duplicate:
        problems.append(f"duplicate ids ({len(duplicate)}): {_listing(duplicate)}")
    if missing:
        problems.append(f"missing ids ({len(missing)}): {_listing(missing)}")
    if extra:
        problems.append(
            f"ids not in the gold split ({len(extra)}): {_listing(extra)} (another --split or --lang?)"
        )
    _fail(source, problems)
    by_id = {r["id"]: r for r in records}
    return [by_id[g["id"]] for g in gold]


# --------------------------------------------------------------------------- scoring


def _entity_chunks(entities: Iterable[dict], coarse: bool) -> frozenset:
    out = set()
    for e in entities:
        label = COARSE_OF[e["label"]] if coarse else e["label"]
        if label is not None:
            out.add((int(e["start"]), int(e["end"]), label))
    return frozenset(out)


def _check_ner(gold: dict, pred: dict, form: str, problems: list[str]) -> None:
    sid = gold["id"]
    value = pred.get(form)
    if not isinstance(value, list):
        problems.append(f"{sid}: \"{form}\" must be a list")
        return
    if form == "ner_tags":
        if len(value) != len(gold["tokens"]):
            problems.append(f"{sid}: {len(value)} tags for {len(gold['tokens'])} tokens")
        bad = sorted({str(t) for t in value if t not in NER_TAGS})
        if bad:
            problems.append(f"{sid}: unknown tags {bad}")
        return
    for e in value:
        ok = isinstance(e, dict) and all(
            isinstance(e.get(k), int) and not isinstance(e.get(k), bool) for k in ("start", "end")
        )
        if not ok:
            problems.append(f"{sid}: entity {e!r} needs integer \"start\" and \"end\"")
        elif not 0 <= e["start"] < e["end"] <= len(gold["text"]):
            problems.append(
                f"{sid}: entity [{e['start']}, {e['end']}) outside the sentence (length {len(gold['text'])})"
            )
        elif e.get("label") not in ENTITY_TYPES:
            problems.append(f"{sid}: unknown entity label {e.get('label')!r}")


def _ner_inputs(gold: list[dict], preds: list[dict], tagset: str, source: str):
    forms = {f for p in preds for f in ("ner_tags", "entities") if f in p}
    if len(forms) != 1 or any(("ner_tags" in p) == ("entities" in p) for p in preds):
        raise UserError(
            f"{source}: every line needs exactly one of \"ner_tags\" or \"entities\", "
            "the same one on every line"
        )
    form = forms.pop()
    problems: list[str] = []
    for g, p in zip(gold, preds):
        _check_ner(g, p, form, problems)
    _fail(source, problems)
    coarse = tagset == "coarse"
    if form == "entities":
        return form, [_entity_chunks(g["entities"], coarse) for g in gold], [
            _entity_chunks(p["entities"], coarse) for p in preds
        ]
    if not coarse:
        return form, [g["ner_tags"] for g in gold], [p["ner_tags"] for p in preds]
    # (start, end, label) in token units: fine predictions are chunked first, then mapped
    gold_chunks = [frozenset((a, b, t) for t, a, b in tag_chunks(g["ner_tags_coarse"])) for g in gold]
    pred_chunks = [
        frozenset((a, b, COARSE_OF[t]) for t, a, b in tag_chunks(p["ner_tags"]) if COARSE_OF[t])
        for p in preds
    ]
    return form, gold_chunks, pred_chunks


def evaluate_records(
    task: str,
    gold: list[dict],
    records: list[dict],
    *,
    tagset: str = "fine",
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
    source: str = "predictions",
    context: linking.LinkingContext | None = None,
) -> dict:
    """Scores of prediction ``records`` against ``gold`` rows (as :func:`load_gold` returns them).

    ``context``: the knowledge base and training rule of the linking tasks (default: the dataset's).
    """
    if tagset not in ("fine", "coarse"):
        raise UserError(f"unknown tag set {tagset!r}: fine or coarse")
    if unit not in ("sentence", "document"):
        raise UserError(f"unknown bootstrap unit {unit!r}: sentence or document")
    preds = join_by_id(gold, records, source)
    if task in linking.LINKING_TASKS:
        return {"task": task, **linking.score(task, gold, preds, context, unit=unit, n_boot=n_boot, seed=seed,
                                              source=source)}
    common = {
        "langs": [g["lang"] for g in gold],
        "groups": [g["doc_id"] for g in gold] if unit == "document" else None,
        "n_boot": n_boot,
        "seed": seed,
    }
    out: dict[str, Any] = {"task": task, "n_sentences": len(gold)}
    if task == "ner":
        form, g, p = _ner_inputs(gold, preds, tagset, source)
        types = COARSE_TYPES if tagset == "coarse" else ENTITY_TYPES
        out.update(tagset=tagset, input=form)
        out["ner"] = ner_scores(g, p, types=types, **common)
    elif task == "stance":
        bad = [f"{p['id']}: label {p.get('label')!r} not in {list(STANCE_LABELS)}"
               for p in preds if p.get("label") not in STANCE_LABELS]
        _fail(source, bad)
        out["stance"] = stance_scores([x["label"] for x in gold], [x["label"] for x in preds], **common)
    else:
        raise UserError(f"unknown task {task!r}: choose from {', '.join(TASKS)}")
    return out


def evaluate(
    task: str,
    predictions: Path | str,
    split: str | Sequence[str] = "test",
    *,
    tagset: str = "fine",
    langs: Iterable[str] | None = None,
    dataset_dir: Path | str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    unit: str = "sentence",
    seen_in: str | None = None,
) -> dict:
    """Score a predictions file against the gold of ``split`` (optionally only some languages).

    ``seen_in`` (linking): what the system was trained on (:class:`vietlao.dataset.linking.SeenRule`).
    """
    langs = sorted(langs) if langs else None
    gold = load_gold(task, split, dataset_dir, langs)
    context = linking.load_context(dataset_dir, seen_in) if task in linking.LINKING_TASKS else None
    result = evaluate_records(
        task, gold, read_predictions(predictions),
        tagset=tagset, n_boot=n_boot, seed=seed, unit=unit, source=str(predictions), context=context,
    )
    head = {"task": task, "split": "+".join(parse_splits(split)), "langs": langs}
    if task == "ner":
        head["tagset"] = tagset
    return {**head, **result, "predictions": str(predictions)}


# --------------------------------------------------------------------------- CLI


def _ci(block: dict, key: str = "f1") -> str:
    value = block[key] if key in block else block["value"]
    if block.get("ci_low") is None:
        return f"{value:.3f}"
    return f"{value:.3f} [{block['ci_low']:.3f}, {block['ci_high']:.3f}]"


def format_summary(result: dict) -> str:
    """A few lines for the terminal."""
    if result["task"] in linking.LINKING_TASKS:
        return linking.format_summary(result)
    lines = [f"{result['task']} on {result.get('split', '?')}: {result['n_sentences']} sentences"]
    if "ner" in result:
        ner = result["ner"]
        lines[0] += f", tag set {result['tagset']}, scored from {result['input']}"
        lines.append(f"{'':<16}{'P':>7}{'R':>7}  F1 [95% CI]{'':>12}gold  pred")
        rows = [("micro (strict)", ner["micro"]), ("micro (partial)", ner["partial"]["micro"])]
        rows += [(f"  {t}", b) for t, b in ner["per_type"].items() if b["n_gold"] or b["n_pred"]]
        rows += [(f"  lang {k}", b) for k, b in ner.get("per_lang", {}).items()]
        for name, b in rows:
            lines.append(
                f"{name:<16}{b['precision']:>7.3f}{b['recall']:>7.3f}  {_ci(b):<23}{b['n_gold']:>5}{b['n_pred']:>6}"
            )
    else:
        st = result["stance"]
        for key in ("accuracy", "macro_f1", "f_avg"):
            lines.append(f"{key:<10}{_ci(st[key])}" + (f"  ({st[key]['note']})" if "note" in st[key] else ""))
        for lang, b in st.get("per_lang", {}).items():
            lines.append(f"  {lang}: n={b['n_sentences']} accuracy {_ci(b['accuracy'])}, macro-F1 {_ci(b['macro_f1'])}")
        cm = st["confusion_matrix"]
        lines.append("confusion (rows gold, columns predicted): " + " ".join(cm["labels"]))
        for label, row in zip(cm["labels"], cm["matrix"]):
            lines.append(f"  {label:<10}" + "".join(f"{v:>6}" for v in row))
    ci = (result.get("ner") or result.get("stance"))["ci_method"]
    lines.append(f"95% CI: {ci['method']} over {ci['unit']}s, {ci['resamples']} resamples, seed {ci['seed']}")
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    langs = [x.strip() for x in args.lang.split(",") if x.strip()] if args.lang else None
    result = evaluate(
        args.task, args.predictions, args.split, tagset=args.tagset, langs=langs,
        dataset_dir=args.dataset, n_boot=args.bootstrap, seed=args.seed, unit=args.unit, seen_in=args.seen_in,
    )
    print(format_summary(result))
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"scores written to {out}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="score a predictions JSONL file against the gold dataset")
    p.add_argument("--task", required=True, choices=TASKS)
    p.add_argument("--predictions", required=True, help="JSON Lines, one object per sentence, joined by id")
    p.add_argument("--split", default="test",
                   help="train, validation, test, a comma list, or all (default: %(default)s)")
    p.add_argument("--lang", help=f"only these languages (a comma list of {', '.join(LANGUAGES)})")
    p.add_argument("--tagset", default="fine", choices=("fine", "coarse"), help="NER types (default: %(default)s)")
    p.add_argument("--output", help="write the scores as JSON here")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples (default: %(default)s; 0: no CIs)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    p.add_argument("--unit", default="sentence", choices=("sentence", "document"),
                   help="what the bootstrap resamples (default: %(default)s)")
    p.add_argument("--dataset", default=None, help="dataset folder (default: dataset)")
    p.add_argument("--seen-in", help="linking: what the system trained on, for seen/unseen entities: splits "
                   "(train,validation), other-documents, or lang:vi (default: the splits not scored; "
                   "other-documents when all are)")
    p.set_defaults(func=_run)

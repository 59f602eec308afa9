"""``vietlao benchmark``: every baseline under every protocol, each scored once by the one scorer.

Baselines are modules of :mod:`vietlao.models`, part of the installed package; every
run of one writes a predictions JSONL file that the scorer (:func:`vietlao.evaluation.evaluate.
evaluate_records`, the code behind ``vietlao evaluate``) reads back.

Protocols are derived from the documents' metadata (their ``split``, ``lang`` and ``fold``):
    ``fixed``    train on train+validation, test on test;
    ``lodo``     leave one document out: one fold per document, the held-out predictions pooled into
                 one file and scored once over all sentences;
    ``xling-L``  cross-lingual: train on the documents in ``SOURCE_LANG``, test on language L.

Seeds: a baseline whose result depends on its seed (``SEEDED``) runs with every seed, and its row
carries ``seed_mean``/``seed_sd``; the others run once. A row's value and 95% CI are those of the
seed-0 predictions: what ``vietlao evaluate`` prints for that file.

Everything is written into a temporary sibling folder and moved into place only when the whole run
has succeeded; nothing written depends on the run (no times, no absolute paths inside the project),
so two runs write byte-identical files.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Callable

from vietlao.benchmark import compare, differences, linking
from vietlao.benchmark.error_reports import write_reports
from vietlao.benchmark.report import write_report
from vietlao.models import embed
from vietlao.models.interface import Baseline, available, extra, uses_kb
from vietlao.models.registry import select_baselines
from vietlao.assist.effort import effort_protocol
from vietlao.benchmark.protocols import SEEDS, Protocol, predictions_file, protocols, training_kb
from vietlao.corpus.inventory import load_inventory
from vietlao.export.validate import gold_context
from vietlao.corpus.metadata import CorpusLayout
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import evaluate_records, read_predictions, write_predictions
from vietlao.evaluation.gold import GOLD_CONFIG, load_gold
from vietlao.evaluation.schema import Prediction
from vietlao.files import atomic_folder
from vietlao import paths
from vietlao.paths import project
from vietlao.versions import key_versions

NER_METRICS = ("precision", "recall", "f1", "f1_coarse", "f1_partial")
STANCE_METRICS = ("accuracy", "macro_f1", "f_avg")
MARKER = "results.json"  # a folder holding it is a previous benchmark output and may be replaced


def events(rows: list[dict]) -> dict[str, str | None]:
    """The event each document of ``rows`` reports, from the project's metadata (none without it)."""
    if not project().metadata.is_file():
        return {}
    layout = CorpusLayout.read()
    return {doc: event for event, docs in layout.event_groups.items() for doc in docs
            if doc in {r["doc_id"] for r in rows}}


def documents(rows: list[dict]) -> dict[str, dict]:
    """Language, split and event of every document of ``rows``."""
    event_of = events(rows)
    return {d: {"lang": lang, "split": split, "event": event_of.get(d)}
            for d, lang, split in sorted({(r["doc_id"], r["lang"], r["split"]) for r in rows})}


class Layout:
    """Files are written under ``stage`` and shown (in results and commands) as they will be under ``final``."""

    def __init__(self, stage: Path, final: Path) -> None:
        self.stage, self.final = stage, final

    def staged(self, shown: str) -> Path:
        """Where a file shown as ``shown`` is while the run is staged."""
        path = (project().root / shown).resolve()
        return self.stage / path.relative_to(self.final.resolve()) if path.is_relative_to(self.final.resolve()) else path

    def shown(self, path: Path) -> str:
        path = Path(path).resolve()
        if path.is_relative_to(self.stage.resolve()):
            path = self.final.resolve() / path.relative_to(self.stage.resolve())
        return paths.shown(path)


def _f1(block: dict) -> dict:
    return {"value": block["f1"], "ci_low": block["ci_low"], "ci_high": block["ci_high"]}


def _ratio(block: dict, key: str) -> dict:
    low, high = block.get(f"{key}_ci") or (None, None)
    return {"value": block[key], "ci_low": low, "ci_high": high}


def _metrics(task: str, gold: list[dict], records: list[dict], n_boot: int, seed: int, source: str) -> tuple[dict, dict]:
    """Headline metrics and the extras (per language, per type, confusion) of one predictions file."""

    def score(tagset: str = "fine") -> dict:
        return evaluate_records(task, gold, records, tagset=tagset, n_boot=n_boot, seed=seed, source=source)

    if task == "ner":
        fine, coarse = score()["ner"], score("coarse")["ner"]
        micro = fine["micro"]
        metrics = {
            "precision": _ratio(micro, "precision"), "recall": _ratio(micro, "recall"), "f1": _f1(micro),
            "f1_coarse": _f1(coarse["micro"]), "f1_partial": _f1(fine["partial"]["micro"]),
        }
        extra = {
            "per_lang": {k: {**_f1(v), "n_sentences": v["n_sentences"]} for k, v in fine["per_lang"].items()},
            "per_type": {k: {"f1": v["f1"], "n_gold": v["n_gold"], "n_pred": v["n_pred"]}
                         for k, v in fine["per_type"].items()},
        }
    else:
        s = score()["stance"]
        metrics = {k: {key: s[k][key] for key in ("value", "ci_low", "ci_high")} for k in STANCE_METRICS}
        extra = {
            "per_lang": {k: {"accuracy": v["accuracy"]["value"], "macro_f1": v["macro_f1"]["value"],
                             "n_sentences": v["n_sentences"]} for k, v in s["per_lang"].items()},
            "confusion_matrix": s["confusion_matrix"],
        }
    return metrics, extra


def run_baseline(module: Baseline, protocol: Protocol, rows: list[dict], layout: Layout,
                 seeds: tuple[int, ...], n_boot: int, boot_seed: int,
                 link: linking.LinkingBench | None = None) -> dict:
    """Predict under ``protocol`` for every seed, write the files, score them; one result row.

    ``link``: the knowledge base and scoring context of linking baselines (the knowledge base also goes
    to NER baselines that declare ``USES_KB``).
    """
    seeds = seeds if module.SEEDED else seeds[:1]
    is_linking = module.TASK == linking.TASK
    if uses_kb(module):
        assert link is not None  # run_benchmark loads it when a baseline links or uses the knowledge base
        kwargs = link.predict_kwargs()
    else:
        kwargs = {}
    gold = protocol.gold(rows)
    per_seed, paths = [], []
    for seed in seeds:
        records: list[Prediction] = []
        for train_filter, test_filter in protocol.folds:
            train = [r for r in rows if train_filter(r)]
            fold_kwargs = kwargs if is_linking or "kb" not in kwargs else {**kwargs, "kb": training_kb(kwargs["kb"], train)}
            records += module.predict(train, [r for r in rows if test_filter(r)], seed=seed, **fold_kwargs)
        path = predictions_file(layout.stage, module, protocol.name, seed)
        write_predictions(path, records)
        paths.append(layout.shown(path))
        boot = n_boot if seed == seeds[0] else 0
        if is_linking:
            assert link is not None  # as above
            per_seed.append(link.metrics(gold, path, protocol.name, boot, boot_seed, paths[-1]))
        else:
            per_seed.append(_metrics(module.TASK, gold, read_predictions(path), boot, boot_seed, paths[-1]))
    metrics, extra = per_seed[0]
    for key, block in metrics.items():
        values = [m[key]["value"] for m, _ in per_seed]
        block["seed_mean"] = statistics.fmean(values)
        block["seed_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
    command = protocol.evaluate_command(module.TASK, paths[0])
    return {
        "task": module.TASK, "baseline": module.NAME, "protocol": protocol.name,
        "setting": protocol.description, "n_sentences": len({g.get("sentence_id", g["id"]) for g in gold}),
        "seeds": list(seeds), "metrics": metrics, **extra, "predictions": paths,
        "command": linking.command(protocol.name, command) if is_linking else command,
    }


def run_end_to_end(ner_row: dict, linker: Baseline, protocol: Protocol, gold: dict[str, list[dict]],
                   layout: Layout, link: linking.LinkingBench, n_boot: int, boot_seed: int) -> dict:
    """NER baseline → linking baseline under ``protocol``: the NER row's seed-0 spans linked per fold
    (:meth:`LinkingBench.end_to_end`), written as one ``ner+linking`` file and scored end to end."""
    records = link.end_to_end(linker, protocol.folds, gold["ner"], gold[linking.TASK],
                              read_predictions(layout.staged(ner_row["predictions"][0])))
    name = f"{ner_row['baseline']}+{linker.NAME}"
    path = write_predictions(layout.stage / "predictions" / linking.E2E_TASK / protocol.name / f"{name}.jsonl", records)
    shown = layout.shown(path)
    ner_gold = protocol.gold(gold["ner"])
    metrics, extra = link.end_to_end_metrics(ner_gold, path, n_boot, boot_seed, shown)
    return {"task": linking.E2E_TASK, "baseline": name, "protocol": protocol.name, "setting": protocol.description,
            "n_sentences": len(ner_gold), "seeds": [0], "metrics": metrics, **extra, "predictions": [shown],
            "command": protocol.evaluate_command(linking.E2E_TASK, shown)}


def significance(rows: list[dict], gold: dict[str, list[dict]], layout: Layout, link: linking.LinkingBench | None,
                 n_boot: int, boot_seed: int) -> dict:
    """Every row against the best of its protocol, the pairwise tables and the claims (:mod:`differences`)."""
    by_name = {p.name: p for p in protocols(gold["ner"])}
    cache: dict[str, list[dict]] = {}

    def records_of(row: dict) -> list[dict]:
        shown = row["predictions"][0]
        if shown not in cache:
            cache[shown] = read_predictions(layout.staged(shown))
        return cache[shown]

    def gold_of(row: dict) -> list[dict]:
        return by_name[row["protocol"]].gold(gold[GOLD_CONFIG.get(row["task"], row["task"])])

    context = link.context if link is not None else None
    return differences.compare_rows(rows, differences.runner(gold_of, records_of, n_boot, boot_seed, lambda r: context))


def check_output(out_dir: Path) -> None:
    """Refuse an output that is a file, or a non-empty folder that is not a previous benchmark output."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--output {out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise UserError(f"--output {out_dir}: a non-empty folder without {MARKER} (not a benchmark output); "
                        "choose another folder")


def run_benchmark(
    out_dir: Path | None = None,
    dataset_dir: Path | str | None = None,
    *,
    seeds: tuple[int, ...] = SEEDS,
    n_boot: int = 1000,
    boot_seed: int = 0,
    baselines: list[str] | None = None,
    peers: bool | Callable[[Path], list[dict]] = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Run the baselines under every protocol (and the peers: ``peers`` may be the function that runs
    them, see :func:`vietlao.benchmark.compare.run_peers`); write results, report and plots atomically."""
    out_dir = Path(out_dir) if out_dir is not None else project().results
    modules = select_baselines(baselines)
    check_output(out_dir)
    gold = {task: load_gold(task, "all", dataset_dir) for task in ("ner", "stance", *{m.TASK for m in modules})}
    needs_kb = linking.TASK in gold or any(uses_kb(m) for m in modules)
    link = linking.LinkingBench.load(dataset_dir) if needs_kb else None
    with atomic_folder(out_dir) as stage:  # replaces a previous output only once the run is complete
        layout = Layout(stage, out_dir)
        rows: list[dict] = []
        skipped = {}
        for module in modules:
            if not available(module):
                skipped[module.NAME] = f"needs the '{extra(module)}' extra"
                log(f"note: {module.NAME} skipped: install the '{extra(module)}' extra")
                continue
            for protocol in protocols(gold[module.TASK]):
                started = time.perf_counter()
                rows.append(run_baseline(module, protocol, gold[module.TASK], layout, seeds, n_boot, boot_seed, link))
                log(f"  {module.TASK:<8} {module.NAME:<18} {protocol.name:<13} {time.perf_counter() - started:6.1f}s")
        ran_names = {r["baseline"] for r in rows}
        for ner_name, linker_name in (linking.E2E_PIPELINES if link is not None else ()):
            if {ner_name, linker_name} <= ran_names:
                linker = next(m for m in modules if m.NAME == linker_name)
                for protocol in protocols(gold["ner"]):
                    ner_row = next(r for r in rows if r["task"] == "ner" and r["baseline"] == ner_name
                                   and r["protocol"] == protocol.name)
                    assert link is not None  # pipelines are run only with the knowledge base
                    rows.append(run_end_to_end(ner_row, linker, protocol, gold, layout, link, n_boot, boot_seed))
        started = time.perf_counter()
        tests = significance(rows, gold, layout, link, n_boot, boot_seed)
        log(f"  {'paired':<8} {'significance':<18} {'':<13} {time.perf_counter() - started:6.1f}s")
        peer_rows: list[dict] = []
        if peers:
            started = time.perf_counter()
            peer_rows = compare.run_peers(stage, layout.shown, gold["ner"], n_boot, boot_seed,
                                          None if peers is True else peers)
            log(f"  {'ner':<8} {'peers':<18} {'off-the-shelf':<13} {time.perf_counter() - started:6.1f}s")
        comparison = compare.peer_comparison(peer_rows, rows, gold["ner"], layout, n_boot, boot_seed)
        ran = [m for m in modules if m.NAME not in skipped]
        meta = {
            "seeds": list(seeds),
            "bootstrap": {"resamples": n_boot, "seed": boot_seed, "unit": "sentence",
                          "ci_method": "percentile bootstrap over sentences (95%)"},
            "protocols": {p.name: {"setting": p.description, "folds": p.documents(gold["ner"], events(gold["ner"]))}
                          for p in protocols(gold["ner"])},
            "documents": documents(gold["ner"]),
            "baselines": {m.NAME: {"task": m.TASK, "seeded": m.SEEDED,
                                   "summary": (m.__doc__ or "").strip().splitlines()[0]} for m in ran},
            "skipped": skipped,
            "complete": baselines is None and peers is True and not skipped,
            "value": "seed-0 predictions, scored by vietlao evaluate; seed_mean/seed_sd over all seeds",
            "versions": key_versions(),
        }
        encoded = [m for m in ran if isinstance(m, embed.Encoded)]
        if encoded:
            meta["encoder"] = embed.run_info(encoded, gold, link.kb if link is not None else (), embed.shared_encoder())
        results = {"meta": meta, "rows": rows + [compare.headline(p) for p in peer_rows],
                   "significance": tests, "peer_comparison": comparison}
        if baselines is None:  # the full run: pre-annotation measured as effort saved
            started = time.perf_counter()
            results["preannotation"] = effort_protocol(gold["ner"], gold["stance"], load_inventory(), gold_context(),
                                                       n_boot, boot_seed)
            log(f"  {'effort':<8} {'pre-annotation':<18} {'lodo':<13} {time.perf_counter() - started:6.1f}s")
        started = time.perf_counter()
        meta["error_reports"] = write_reports(stage, ran, protocols(gold["ner"]), dataset_dir=dataset_dir,
                                              n_boot=n_boot, seed=boot_seed, shown=layout.shown)
        log(f"  {'report':<8} {'html':<18} {'all':<13} {time.perf_counter() - started:6.1f}s")
        (stage / MARKER).write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        table = write_report(results, stage)
    return {"results": results, "table": table, "output": out_dir}

"""``vietlao benchmark``: every baseline under every protocol, each scored once by ``vietlao evaluate``.

Baselines live in ``benchmarks/baselines/`` (one module each); every run writes a predictions
JSONL file under ``benchmarks/results/predictions/`` that the one scorer
(:func:`vietlao.evaluate.evaluate_records`, the code behind ``vietlao evaluate``) reads back.

Protocols
    ``fixed``    train on train+validation (vi 002, 004 + ru 003), test on test (nb 000, id 001);
    ``lodo``     leave one document out: five folds, the predictions of the five held-out
                 documents pooled into one file and scored once over all sentences;
    ``xling-L``  cross-lingual: train on the Vietnamese documents (002, 004), test on language L.

Seeds: a baseline whose result depends on its seed (``SEEDED``: the SGD token classifier) runs
with seeds 0, 1, 2 under every protocol, and its row carries ``seed_mean``/``seed_sd``; the others
are deterministic (majority, gazetteer, L-BFGS CRF and logistic regression) and run once. A row's
value and 95% CI are those of the seed-0 predictions: what ``vietlao evaluate`` prints for that file.

If ``benchmarks/peers/run_peers.py`` exists and imports, its ``run(out_dir)`` adds off-the-shelf
systems; their prediction files are rescored here with the same scorer, and each peer is set beside
the NER baselines on exactly its sentences (``peer_comparison``): the pooled lodo predictions
restricted to the peer's language and, for a language other than vi, the ``xling-L`` predictions,
all on the coarse tag set with the same bootstrap.

Nothing written depends on the run (no times, no absolute paths inside the repository): two runs
write byte-identical files.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from vietlao.errors import UserError
from vietlao.benchmark import linking
from vietlao.benchmark.effort import effort_protocol
from vietlao.corpus.inventory import load_inventory
from vietlao.export.validate import gold_context
from vietlao.corpus.metadata import LANGUAGES
from vietlao.evaluation.evaluate import evaluate_records, load_gold, read_predictions, write_predictions
from vietlao.paths import project
from vietlao.versions import key_versions

SEEDS = (0, 1, 2)
SOURCE_LANG = "vi"
NER_METRICS = ("precision", "recall", "f1", "f1_coarse", "f1_partial")
STANCE_METRICS = ("accuracy", "macro_f1", "f_avg")


@dataclass(frozen=True)
class Protocol:
    """Folds of (train, test) row filters, and the gold the pooled predictions are scored on."""

    name: str
    description: str
    folds: tuple[tuple[Callable[[dict], bool], Callable[[dict], bool]], ...]
    split: str
    langs: tuple[str, ...] | None = None

    def gold(self, rows: list[dict]) -> list[dict]:
        """The rows ``load_gold(task, split, langs=langs)`` returns, in its order."""
        splits = {"all": ("train", "validation", "test")}.get(self.split, tuple(self.split.split(",")))
        return [r for r in rows if r["split"] in splits and (self.langs is None or r["lang"] in self.langs)]

    def evaluate_command(self, task: str, path: str, tagset: str = "fine") -> str:
        cmd = f"vietlao evaluate --task {task} --predictions {path} --split {self.split}"
        if self.langs:
            cmd += f" --lang {','.join(self.langs)}"
        return cmd + (" --tagset coarse" if tagset == "coarse" else "")


def protocols(rows: list[dict]) -> list[Protocol]:
    folds = sorted({r["fold"] for r in rows})
    out = [
        Protocol(
            "fixed", "train+validation → test",
            ((lambda r: r["split"] in ("train", "validation"), lambda r: r["split"] == "test"),),
            "test",
        ),
        Protocol(
            "lodo", f"leave one document out ({len(folds)} folds, pooled)",
            tuple((lambda r, k=k: r["fold"] != k, lambda r, k=k: r["fold"] == k) for k in folds),
            "all",
        ),
    ]
    langs = sorted({r["lang"] for r in rows} - {SOURCE_LANG}, key=LANGUAGES.index)
    for lang in langs:
        out.append(Protocol(
            f"xling-{lang}", f"{SOURCE_LANG} → {lang}",
            ((lambda r: r["lang"] == SOURCE_LANG, lambda r, lang=lang: r["lang"] == lang),),
            "all", (lang,),
        ))
    return out


def load_baselines(names: list[str] | None = None) -> list[ModuleType]:
    """The baseline modules of ``benchmarks/baselines`` (importable as the package ``baselines``)."""
    bench_dir = str(project().benchmarks)
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    package = importlib.import_module("baselines")
    modules = [importlib.import_module(f"baselines.{m}") for m in package.MODULES]
    if names:
        unknown = set(names) - {m.NAME for m in modules}
        if unknown:
            raise UserError(f"unknown baseline(s) {sorted(unknown)}: {', '.join(m.NAME for m in modules)}")
        modules = [m for m in modules if m.NAME in names]
    return modules


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project().root))
    except ValueError:
        return str(path)


def _f1(block: dict) -> dict:
    return {"value": block["f1"], "ci_low": block["ci_low"], "ci_high": block["ci_high"]}


def _ratio(block: dict, key: str) -> dict:
    low, high = block.get(f"{key}_ci") or (None, None)
    return {"value": block[key], "ci_low": low, "ci_high": high}


def _metrics(task: str, gold: list[dict], path: Path, n_boot: int, seed: int) -> tuple[dict, dict]:
    """Headline metrics and the extras (per language, per type, confusion) of one predictions file."""
    records = read_predictions(path)

    def score(tagset: str = "fine") -> dict:
        return evaluate_records(task, gold, records, tagset=tagset, n_boot=n_boot, seed=seed, source=_rel(path))

    if task == "ner":
        fine, coarse = score()["ner"], score("coarse")["ner"]
        micro = fine["micro"]
        metrics = {
            "precision": _ratio(micro, "precision"),
            "recall": _ratio(micro, "recall"),
            "f1": _f1(micro),
            "f1_coarse": _f1(coarse["micro"]),
            "f1_partial": _f1(fine["partial"]["micro"]),
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


def run_baseline(module: ModuleType, protocol: Protocol, rows: list[dict], out_dir: Path,
                 seeds: tuple[int, ...], n_boot: int, boot_seed: int,
                 link: linking.LinkingBench | None = None) -> dict:
    """Predict under ``protocol`` for every seed, write the files, score them; one result row.

    Only the first seed's predictions are bootstrapped; the others give ``seed_mean``/``seed_sd``.
    ``link``: the knowledge base and scoring context of linking baselines.
    """
    seeds = seeds if module.SEEDED else seeds[:1]
    is_linking = module.TASK == linking.TASK
    kwargs = link.predict_kwargs() if is_linking else {}
    gold = protocol.gold(rows)
    per_seed, paths = [], []
    for seed in seeds:
        records: list[dict] = []
        for train_filter, test_filter in protocol.folds:
            train = [r for r in rows if train_filter(r)]
            test = [r for r in rows if test_filter(r)]
            records += module.predict(train, test, seed=seed, **kwargs)
        suffix = f"-seed{seed}" if module.SEEDED else ""
        path = write_predictions(out_dir / module.TASK / protocol.name / f"{module.NAME}{suffix}.jsonl", records)
        paths.append(path)
        boot = n_boot if seed == seeds[0] else 0
        per_seed.append(link.metrics(gold, path, protocol.name, boot, boot_seed, _rel(path)) if is_linking
                        else _metrics(module.TASK, gold, path, boot, boot_seed))
    metrics, extra = per_seed[0]
    for key, block in metrics.items():
        values = [m[key]["value"] for m, _ in per_seed]
        block["seed_mean"] = statistics.fmean(values)
        block["seed_sd"] = statistics.stdev(values) if len(values) > 1 else 0.0
    first = _rel(paths[0])
    command = protocol.evaluate_command(module.TASK, first)
    return {
        "task": module.TASK, "baseline": module.NAME, "protocol": protocol.name,
        "setting": protocol.description, "n_sentences": len({g.get("sentence_id", g["id"]) for g in gold}),
        "seeds": list(seeds), "metrics": metrics, **extra,
        "predictions": [_rel(p) for p in paths],
        "command": linking.command(protocol.name, command) if is_linking else command,
    }


# --------------------------------------------------------------------------- peers


def load_peers(path: Path) -> ModuleType | None:
    """The peers module, or None (with a printed note) when it is absent or cannot import."""
    if not path.exists():
        print(f"note: {_rel(path)} not found; off-the-shelf peers skipped")
        return None
    spec = importlib.util.spec_from_file_location("vietlao_bench_run_peers", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ImportError as exc:
        print(f"note: {_rel(path)} does not import ({exc}); off-the-shelf peers skipped")
        return None
    if not callable(getattr(module, "run", None)):
        print(f"note: {_rel(path)} has no run(out_dir); off-the-shelf peers skipped")
        return None
    return module


def _resolve(path: str | Path) -> Path:
    """A peer's predictions path: absolute, or relative to the repository root."""
    path = Path(path)
    return path if path.is_absolute() else project().root / path


def coarse_scores(gold: list[dict], records: list[dict], n_boot: int, boot_seed: int, source: str) -> dict:
    """Coarse (PER/ORG/LOC/MISC) strict P/R/F1 with CIs, partial F1 and per-type F1 of ``records``.

    The same numbers as ``vietlao evaluate --task ner --tagset coarse`` on the sentences of ``gold``.
    """
    ner = evaluate_records("ner", gold, records, tagset="coarse", n_boot=n_boot, seed=boot_seed, source=source)["ner"]
    micro = ner["micro"]
    return {
        "precision": _ratio(micro, "precision"),
        "recall": _ratio(micro, "recall"),
        "f1": _f1(micro),
        "f1_partial": ner["partial"]["micro"]["f1"],
        "tp": micro["tp"], "n_pred": micro["n_pred"], "n_gold": micro["n_gold"],
        "per_type": {t: {k: b[k] for k in ("precision", "recall", "f1", "tp", "n_pred", "n_gold")}
                     for t, b in ner["per_type"].items()},
    }


PEER_DETAILS = ("tool_version", "model", "labels", "alignment", "anatomy")


def peer_rows(module: ModuleType, out_dir: Path, ner_rows: list[dict], n_boot: int, boot_seed: int) -> list[dict]:
    """Run the peers and rescore every prediction file they name with the project scorer."""
    try:
        raw = module.run(out_dir)
    except Exception as exc:  # noqa: BLE001 - another module's failure must not sink the benchmark
        print(f"note: peers run failed ({type(exc).__name__}: {exc}); skipped")
        return []
    rows = []
    for peer in raw or []:
        name = peer.get("system") or peer.get("baseline") or peer.get("name") or "peer"
        lang, path = peer.get("lang"), peer.get("predictions")
        if not lang or not path or not _resolve(path).exists():
            print(f"note: peer {name}: no predictions file for a language; row skipped")
            continue
        path = _resolve(path)
        tagset = peer.get("tagset", "coarse")
        gold = [r for r in ner_rows if r["lang"] == lang]
        try:
            records = read_predictions(path)
            coarse = coarse_scores(gold, records, n_boot, boot_seed, _rel(path))
            fine = None if tagset == "coarse" else evaluate_records(
                "ner", gold, records, tagset=tagset, n_boot=n_boot, seed=boot_seed, source=_rel(path))["ner"]
        except UserError as exc:
            print(f"note: peer {name}: the scorer rejected its predictions ({exc}); row skipped")
            continue
        metrics = {"f1_coarse": dict(coarse["f1"])}
        if fine is not None:
            metrics["f1"] = _f1(fine["micro"])
        protocol = Protocol(peer.get("protocol", "off-the-shelf"), f"pretrained → {lang}", (), "all", (lang,))
        rows.append({
            "task": "ner", "baseline": name, "protocol": protocol.name, "setting": protocol.description,
            "lang": lang, "n_sentences": len(gold), "seeds": [], "metrics": metrics, "source": "peers",
            "coarse": coarse,
            "details": {k: peer[k] for k in PEER_DETAILS if k in peer},
            "predictions": [_rel(path)],
            "command": protocol.evaluate_command("ner", _rel(path), tagset),
        })
    return rows


def _comparison_row(system: str, protocol: str, setting: str, lang: str, gold: list[dict], path: Path,
                    coarse: dict, source: str) -> dict:
    return {
        "system": system, "protocol": protocol, "setting": setting, "lang": lang, "source": source,
        "n_sentences": len(gold), "docs": sorted({r["doc_id"] for r in gold}), **coarse,
        "predictions": _rel(path),
        "command": Protocol(protocol, setting, (), "all", (lang,)).evaluate_command("ner", _rel(path), "coarse"),
    }


def peer_comparison(peers: list[dict], rows: list[dict], ner_rows: list[dict], out_dir: Path,
                    n_boot: int, boot_seed: int) -> dict:
    """Each peer beside the NER baselines on exactly its sentences, coarse types, the same scorer.

    For a peer on language L: the baselines' pooled leave-one-document-out predictions (seed 0)
    restricted to the sentences of L, written to ``predictions/ner/lodo/L/`` so that ``vietlao evaluate
    --split all --lang L --tagset coarse`` scores them, and the ``xling-L`` predictions (trained on vi)
    as they are. Peers on the same language as the source (vi) get no xling rows.
    """
    baselines = [r for r in rows if r["task"] == "ner" and r.get("source") != "peers"]
    out: dict = {"langs": {}, "rows": []}
    for peer in peers:
        if "coarse" not in peer:
            continue
        lang = peer["lang"]
        gold = [r for r in ner_rows if r["lang"] == lang]
        ids = {r["id"] for r in gold}
        docs = sorted({r["doc_id"] for r in gold})
        out["langs"][lang] = {"n_sentences": len(gold), "docs": docs,
                              "n_gold": peer["coarse"]["n_gold"]}
        details = peer.get("details", {})
        system = peer["baseline"] + (f" {details['tool_version']}" if details.get("tool_version") else "")
        out["rows"].append({
            **_comparison_row(system, peer["protocol"], peer["setting"], lang, gold,
                              _resolve(peer["predictions"][0]), peer["coarse"], "peer"),
            "tool": peer["baseline"], **{k: details[k] for k in PEER_DETAILS if k in details},
        })
        for row in (r for r in baselines if r["protocol"] == "lodo"):
            source = _resolve(row["predictions"][0])
            keep = ids  # the pooled file's own lines and order: `grep` on the ids gives the same bytes
            path = write_predictions(out_dir / "predictions" / "ner" / "lodo" / lang / source.name,
                                     [rec for rec in read_predictions(source) if rec["id"] in keep])
            records = read_predictions(path)
            out["rows"].append(_comparison_row(
                row["baseline"], "lodo", f"leave one document out, {lang} sentences", lang, gold, path,
                coarse_scores(gold, records, n_boot, boot_seed, _rel(path)), "baseline"))
        for row in (r for r in baselines if r["protocol"] == f"xling-{lang}"):
            path = _resolve(row["predictions"][0])
            records = read_predictions(path)
            out["rows"].append(_comparison_row(
                row["baseline"], row["protocol"], row["setting"], lang, gold, path,
                coarse_scores(gold, records, n_boot, boot_seed, _rel(path)), "baseline"))
    return out


# --------------------------------------------------------------------------- driver


def run_benchmark(
    out_dir: Path | None = None,
    dataset_dir: Path | str | None = None,
    *,
    seeds: tuple[int, ...] = SEEDS,
    n_boot: int = 1000,
    boot_seed: int = 0,
    baselines: list[str] | None = None,
    peers_file: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Run every baseline under every protocol (and the peers of ``peers_file``, if given); write
    results, report and plots (``out_dir`` default: the project's ``benchmarks/results``)."""
    from vietlao.benchmark.report import write_report

    out_dir = Path(out_dir) if out_dir is not None else project().results
    modules = load_baselines(baselines)
    gold = {task: load_gold(task, "all", dataset_dir) for task in ("ner", "stance", *{m.TASK for m in modules})}
    link = linking.LinkingBench.load(dataset_dir) if linking.TASK in gold else None
    shutil.rmtree(out_dir / "predictions", ignore_errors=True)  # no stale files from an earlier run
    rows: list[dict] = []
    for module in modules:
        for protocol in protocols(gold[module.TASK]):
            started = time.perf_counter()
            rows.append(run_baseline(module, protocol, gold[module.TASK], out_dir / "predictions",
                                     seeds, n_boot, boot_seed, link))
            log(f"  {module.TASK:<7}{module.NAME:<15}{protocol.name:<10}{time.perf_counter() - started:6.1f}s")
    peers: list[dict] = []
    if peers_file is not None:
        module = load_peers(peers_file)
        if module is not None:
            started = time.perf_counter()
            shutil.rmtree(out_dir / "peers", ignore_errors=True)  # no stale files from an earlier run
            peers = peer_rows(module, out_dir, gold["ner"], n_boot, boot_seed)
            rows += peers
            log(f"  {'ner':<7}{'peers':<15}{'off-the-shelf':<10}{time.perf_counter() - started:6.1f}s")
    comparison = peer_comparison(peers, rows, gold["ner"], out_dir, n_boot, boot_seed)
    for row in peers:  # the full scores and the anatomy are in the comparison; the row keeps the headline
        row.pop("coarse", None)
        row["details"] = {k: v for k, v in row["details"].items() if k in ("tool_version", "model")}
    ner_protocols = protocols(gold["ner"])
    results = {
        "meta": {
            "seeds": list(seeds),
            "bootstrap": {"resamples": n_boot, "seed": boot_seed, "unit": "sentence",
                          "ci_method": "percentile bootstrap over sentences (95%)"},
            "protocols": {p.name: p.description for p in ner_protocols},
            "baselines": {m.NAME: (m.__doc__ or "").strip().splitlines()[0] for m in load_baselines(baselines)},
            "value": "seed-0 predictions, scored by vietlao evaluate; seed_mean/seed_sd over all seeds",
            "versions": key_versions(),
        },
        "rows": rows,
        "peer_comparison": comparison,
    }
    if baselines is None:  # the full run: pre-annotation measured as effort saved
        started = time.perf_counter()
        results["preannotation"] = effort_protocol(gold["ner"], gold["stance"], load_inventory(), gold_context(),
                                                   n_boot, boot_seed)
        log(f"  {'effort':<7}{'pre-annotation':<15}{'lodo':<10}{time.perf_counter() - started:6.1f}s")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    table = write_report(results, out_dir)
    return {"results": results, "table": table}


def _section_table(report: Path, heading: str) -> str:
    """The first Markdown table under ``heading`` in ``report`` ('' if there is none)."""
    lines = report.read_text(encoding="utf-8").splitlines()
    if heading not in lines:
        return ""
    after = lines[lines.index(heading):]
    start = next((i for i, line in enumerate(after) if line.startswith("|")), None)
    if start is None:
        return ""
    end = next((i for i in range(start, len(after)) if not after[i].startswith("|")), len(after))
    return "\n".join(after[start:end])


def _run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    seeds = tuple(range(args.seeds))
    baselines = [x.strip() for x in args.baselines.split(",")] if args.baselines else None
    output = Path(args.output) if args.output else project().results
    out = run_benchmark(
        output, args.dataset, seeds=seeds, n_boot=args.bootstrap, baselines=baselines,
        peers_file=None if args.no_peers else project().peers_script,
    )
    if output.resolve() == project().results.resolve():
        from vietlao.dataset.card import refresh_results

        refresh_results()  # the card quotes the table of the project's own results
    print(out["table"])
    peers = _section_table(output / "RESULTS.md", "## Off-the-shelf peers")
    if peers:
        print("\nOff-the-shelf peers beside the baselines, same sentences, coarse types:\n" + peers)
    print(f"results: {output / 'results.json'}, {output / 'RESULTS.md'} "
          f"({time.perf_counter() - started:.1f}s)")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("benchmark", help="run every baseline under every protocol and write the results")
    p.add_argument("--output", default=None, help="results folder (default: benchmarks/results)")
    p.add_argument("--dataset", default=None, help="dataset folder (default: dataset)")
    p.add_argument("--seeds", type=int, default=len(SEEDS),
                   help="seeds 0..N-1 for seed-dependent baselines (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples (default: %(default)s)")
    p.add_argument("--baselines", help="only these baselines (comma list of names)")
    p.add_argument("--no-peers", action="store_true", help="skip benchmarks/peers/run_peers.py")
    p.set_defaults(func=_run)

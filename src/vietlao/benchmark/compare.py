"""The off-the-shelf peers beside the NER baselines, on exactly the peer's sentences, scored once.

Each peer's predictions file is scored once by the one scorer (coarse PER/ORG/LOC/MISC, strict,
with the benchmark's bootstrap). Beside it, for a peer on language L, the baselines' pooled
leave-one-document-out predictions (seed 0) restricted to the sentences of L — written to
``predictions/ner/lodo/L/`` so that ``vietlao evaluate --split all --lang L --tagset coarse`` scores
them — and, for L other than the cross-lingual source, the ``xling-L`` predictions as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from vietlao.evaluation.evaluate import evaluate_records, read_predictions, write_predictions

PEER_DETAILS = ("tool_version", "model", "labels", "alignment", "anatomy")


def coarse_scores(gold: list[dict], records: list[dict], n_boot: int, boot_seed: int, source: str) -> dict:
    """Coarse strict P/R/F1 with CIs, partial F1 and per-type figures: ``vietlao evaluate --tagset coarse``."""
    ner = evaluate_records("ner", gold, records, tagset="coarse", n_boot=n_boot, seed=boot_seed, source=source)["ner"]
    micro = ner["micro"]

    def ratio(key: str) -> dict:
        low, high = micro.get(f"{key}_ci") or (None, None)
        return {"value": micro[key], "ci_low": low, "ci_high": high}

    return {
        "precision": ratio("precision"), "recall": ratio("recall"),
        "f1": {"value": micro["f1"], "ci_low": micro["ci_low"], "ci_high": micro["ci_high"]},
        "f1_partial": ner["partial"]["micro"]["f1"],
        "tp": micro["tp"], "n_pred": micro["n_pred"], "n_gold": micro["n_gold"],
        "per_type": {t: {k: b[k] for k in ("precision", "recall", "f1", "tp", "n_pred", "n_gold")}
                     for t, b in ner["per_type"].items()},
    }


def _command(path: str, lang: str) -> str:
    return f"vietlao evaluate --task ner --predictions {path} --split all --lang {lang} --tagset coarse"


def run_peers(stage: Path, shown: Callable[[Path], str], ner_rows: list[dict], n_boot: int,
              boot_seed: int, runner: Callable[[Path], list[dict]] | None = None) -> list[dict]:
    """Run the peers (``runner``, default :func:`vietlao.benchmark.peers.run`) into ``stage/peers`` and
    score each file once; rows with the scores under ``coarse``."""
    if runner is None:
        from vietlao.benchmark.peers import run as default_runner
        runner = default_runner

    rows = []
    for peer in runner(stage):
        path = stage / "peers" / f"{peer['system']}.jsonl"
        gold = [r for r in ner_rows if r["lang"] == peer["lang"]]
        peer["n_sentences"] = len(gold)
        peer.setdefault("protocol", "off-the-shelf")
        peer["predictions"] = shown(path)
        peer["command"] = _command(peer["predictions"], peer["lang"])
        peer["coarse"] = coarse_scores(gold, read_predictions(path), n_boot, boot_seed, peer["predictions"])
        peer["path"] = path
        rows.append(peer)
    listing = stage / "peers" / "peers.json"
    report = json.loads(listing.read_text(encoding="utf-8")) if listing.exists() else {}
    report["rows"] = [{k: v for k, v in p.items() if k not in ("coarse", "path")} for p in rows]
    listing.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")
    return rows


def headline(peer: dict) -> dict:
    """A peer's row in the results table: its coarse F1 on its own language."""
    return {
        "task": "ner", "baseline": peer["system"], "protocol": peer["protocol"],
        "setting": f"pretrained → {peer['lang']}", "lang": peer["lang"], "n_sentences": peer["n_sentences"],
        "seeds": [], "metrics": {"f1_coarse": dict(peer["coarse"]["f1"])}, "source": "peers",
        "details": {k: peer[k] for k in ("tool_version", "model") if k in peer},
        "predictions": [peer["predictions"]], "command": peer["command"],
    }


def _row(system: str, protocol: str, setting: str, lang: str, gold: list[dict], shown: str, scores: dict,
         source: str) -> dict:
    return {"system": system, "protocol": protocol, "setting": setting, "lang": lang, "source": source,
            "n_sentences": len(gold), "docs": sorted({r["doc_id"] for r in gold}), **scores,
            "predictions": shown, "command": _command(shown, lang)}


def peer_comparison(peers: list[dict], rows: list[dict], ner_rows: list[dict], layout, n_boot: int,
                    boot_seed: int) -> dict:
    """Each peer beside the NER baselines on exactly its sentences, coarse types, the same scorer."""
    baselines = [r for r in rows if r["task"] == "ner"]
    out: dict = {"langs": {}, "rows": []}
    for peer in peers:
        lang = peer["lang"]
        gold = [r for r in ner_rows if r["lang"] == lang]
        ids = {r["id"] for r in gold}
        out["langs"][lang] = {"n_sentences": len(gold), "docs": sorted({r["doc_id"] for r in gold}),
                              "n_gold": peer["coarse"]["n_gold"]}
        out["rows"].append({
            **_row(f"{peer['system']} {peer.get('tool_version', '')}".strip(), peer["protocol"], f"pretrained → {lang}", lang,
                   gold, peer["predictions"], peer["coarse"], "peer"),
            "tool": peer["system"], **{k: peer[k] for k in PEER_DETAILS if k in peer},
        })
        for row in sorted(baselines, key=lambda r: r["protocol"] != "lodo"):  # lodo rows first, then xling
            if row["protocol"] == "lodo":
                source = layout.stage / "predictions" / "ner" / "lodo" / Path(row["predictions"][0]).name
                path = write_predictions(layout.stage / "predictions" / "ner" / "lodo" / lang / source.name,
                                         [rec for rec in read_predictions(source) if rec["id"] in ids])
                setting = f"leave one document out, {lang} sentences"
            elif row["protocol"] == f"xling-{lang}":
                path = layout.stage / "predictions" / "ner" / row["protocol"] / Path(row["predictions"][0]).name
                setting = row["setting"]
            else:
                continue
            scores = coarse_scores(gold, read_predictions(path), n_boot, boot_seed, layout.shown(path))
            out["rows"].append(_row(row["baseline"], row["protocol"], setting, lang, gold, layout.shown(path),
                                    scores, "baseline"))
    return out

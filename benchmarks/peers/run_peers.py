"""Off-the-shelf NER peers, run offline and scored by the project's scorer.

``run(out_dir)`` runs every peer whose package is importable (natasha on the Russian sentences,
underthesea on the Vietnamese ones), writes ``out_dir/peers/<tool>.jsonl`` in the project's
predictions format, scores each file on the sentences of its language with the coarse tag set
(PER/ORG/LOC/MISC; exact span + type) through ``vietlao.evaluation.evaluate``, and returns one row per peer,
with its error anatomy (``peers_diagnostics``) under ``anatomy``. ``out_dir/peers/peers.json`` keeps
the rows. Everything written is deterministic (no run times, paths relative to the repository root
when they are inside it), so a rerun rewrites the same bytes.

    python benchmarks/peers/run_peers.py OUT_DIR
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PROTOCOL = "off-the-shelf"
TAGSET = "coarse"
RUNNER_FILES = ("natasha_runner.py", "underthesea_runner.py")


def _load(filename: str) -> ModuleType:
    """Import a sibling file whether this one was imported as a package module or by path."""
    if __package__:
        return importlib.import_module(f"{__package__}.{filename.removesuffix('.py')}")
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(filename.removesuffix(".py"))


def runners() -> list[ModuleType]:
    return [_load(f) for f in RUNNER_FILES]


def score(predictions: Path, lang: str, *, n_boot: int = 1000, seed: int = 0) -> dict | None:
    """The project scorer's coarse NER scores of ``predictions`` on the sentences of ``lang``.

    The same as ``vietlao evaluate --task ner --tagset coarse --split all --lang LANG
    --predictions FILE``; None when ``vietlao.evaluation.evaluate`` does not exist.
    """
    if importlib.util.find_spec("vietlao.evaluation.evaluate") is None:
        return None
    from vietlao.evaluation.evaluate import evaluate

    result = evaluate("ner", predictions, "all", tagset=TAGSET, langs=[lang], dataset_dir=REPO_ROOT / "dataset",
                      n_boot=n_boot, seed=seed)
    ner = result["ner"]
    micro = ner["micro"]
    return {
        "scorer": "vietlao.evaluation.evaluate",
        "command": command(predictions, lang),
        "precision": micro["precision"],
        "recall": micro["recall"],
        "f1": micro["f1"],
        "precision_ci": micro.get("precision_ci"),
        "recall_ci": micro.get("recall_ci"),
        "f1_ci": [micro["ci_low"], micro["ci_high"]],
        "tp": micro["tp"],
        "n_pred": micro["n_pred"],
        "n_gold": micro["n_gold"],
        "per_type_f1": {t: b["f1"] for t, b in ner["per_type"].items()},
        "per_type": {
            t: {k: b[k] for k in ("precision", "recall", "f1", "tp", "n_pred", "n_gold")}
            for t, b in ner["per_type"].items()
        },
        "partial_f1": ner["partial"]["micro"]["f1"],
        "ci_method": ner["ci_method"],
    }


def shown(path: Path | str) -> str:
    """``path`` relative to the repository root when it is inside it (the same on every machine)."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def command(predictions: Path, lang: str) -> str:
    """The command that prints this peer's scores, run from the repository root."""
    return f"vietlao evaluate --task ner --tagset {TAGSET} --split all --lang {lang} --predictions {shown(predictions)}"


def _row(info: dict, scores: dict | None, labels: list[str]) -> dict:
    row = {
        "system": info["system"],
        "tool_version": info["tool_version"],
        "model": info["model"],
        "lang": info["lang"],
        "protocol": PROTOCOL,
        "tagset": TAGSET,
        "labels": labels,
        "n_sentences": info["n_sentences"],
        "sentences_from": info.get("sentences_from"),
        "predictions": shown(info["predictions"]),
    }
    if scores is None:
        row["scorer"] = None
    else:
        row.update(scores)
    return row


def run(out_dir: Path, *, diagnose: bool = True) -> list[dict]:
    """Run, write and score every available peer; one result row per peer."""
    out_dir = Path(out_dir)
    peers_dir = out_dir / "peers"
    peers_dir.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], {}
    for runner in runners():
        if not runner.available():
            skipped[runner.TOOL] = f"{runner.TOOL} is not importable (install the 'peers' extra)"
            continue
        info = runner.run(peers_dir / f"{runner.TOOL}.jsonl")
        labels = sorted(set(runner.LABEL_MAP.values()))
        row = _row(info, score(Path(info["predictions"]), runner.LANG), labels)
        if "alignment" in info:
            row["alignment"] = dict(sorted(info["alignment"].items()))
        if diagnose:
            row["anatomy"] = _diagnose(runner, Path(info["predictions"]))
        rows.append(row)
    report = {"rows": rows, "skipped": skipped}
    (peers_dir / "peers.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return rows


def _diagnose(runner: ModuleType, predictions: Path) -> dict:
    """The error anatomy of one peer (``peers_diagnostics``); never fails the run."""
    diagnostics = _load("peers_diagnostics.py")
    try:
        gold = diagnostics.load_gold(runner.LANG)
        words = {sid: runner.word_offsets(g["text"]) for sid, g in gold.items()}
        return diagnostics.anatomy(diagnostics.read_predictions(predictions), gold, words)
    except Exception as exc:  # noqa: BLE001 - no built dataset: no anatomy, the run still stands
        return {"error": f"{type(exc).__name__}: {exc}"}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for row in run(Path(argv[0])):
        print(json.dumps({k: v for k, v in row.items() if k != "anatomy"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

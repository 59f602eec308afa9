"""Off-the-shelf NER peers, run offline; ``vietlao benchmark`` scores their files with the one scorer.

``run(out_dir)`` runs every peer whose package is importable (natasha on the Russian sentences,
underthesea on the Vietnamese ones: the ``peers`` extra), writes ``out_dir/peers/<tool>.jsonl`` in the
project's predictions format (coarse PER/ORG/LOC/MISC spans) and returns one row per peer: what ran on
what, its error anatomy (:mod:`vietlao.benchmark.peers.anatomy`) under ``anatomy``. It does not score:
the benchmark scores each file once (``vietlao evaluate --task ner --tagset coarse --split all --lang
L``). ``out_dir/peers/peers.json`` keeps the rows. Everything written is deterministic (no run times,
paths relative to the project root when they are inside it), so a rerun rewrites the same bytes.

    python -m vietlao.benchmark.peers OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType

from vietlao.benchmark.peers import anatomy, natasha, underthesea
from vietlao.benchmark.peers.common import available
from vietlao.paths import shown

PROTOCOL = "off-the-shelf"
TAGSET = "coarse"
RUNNERS: tuple[ModuleType, ...] = (natasha, underthesea)


def command(predictions: Path | str, lang: str) -> str:
    """The command that prints this peer's scores, run from the project root."""
    return f"vietlao evaluate --task ner --tagset {TAGSET} --split all --lang {lang} --predictions {shown(predictions)}"


def run(out_dir: Path, *, diagnose: bool = True) -> list[dict]:
    """Run and write every available peer; one row per peer (unscored)."""
    peers_dir = Path(out_dir) / "peers"
    peers_dir.mkdir(parents=True, exist_ok=True)
    rows, skipped = [], {}
    for runner in RUNNERS:
        if not available(runner):
            skipped[runner.TOOL] = f"{runner.TOOL} is not importable (install the 'peers' extra)"
            continue
        info = runner.run(peers_dir / f"{runner.TOOL}.jsonl")
        row = {
            "system": info["system"], "tool_version": info["tool_version"], "model": info["model"],
            "lang": info["lang"], "protocol": PROTOCOL, "tagset": TAGSET,
            "labels": sorted(set(runner.LABEL_MAP.values())), "n_sentences": info["n_sentences"],
            "sentences_from": info.get("sentences_from"), "predictions": shown(info["predictions"]),
            "command": command(info["predictions"], runner.LANG),
        }
        if "alignment" in info:
            row["alignment"] = dict(sorted(info["alignment"].items()))
        if diagnose:
            gold = anatomy.load_gold(runner.LANG)
            words = {sid: runner.word_offsets(g["text"]) for sid, g in gold.items()}
            row["anatomy"] = anatomy.anatomy(anatomy.read_predictions(Path(info["predictions"])), gold, words)
        rows.append(row)
    (peers_dir / "peers.json").write_text(
        json.dumps({"rows": rows, "skipped": skipped}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for row in run(Path(argv[0])):
        print(json.dumps({k: v for k, v in row.items() if k != "anatomy"}, ensure_ascii=False))
    return 0

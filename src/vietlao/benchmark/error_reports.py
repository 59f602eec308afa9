"""The baselines' error reports: one HTML file per protocol (:mod:`vietlao.report`), every task's baselines in it.

A protocol's report shows the seed-0 predictions of every baseline that ran under it (the files the
results table scores), with the protocol's gold and training part (:func:`setting`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from vietlao.models.registry import Baseline

from vietlao.benchmark.linking import seen_in
from vietlao.benchmark.protocols import Protocol, predictions_file
from vietlao.dataset.linking import SeenRule
from vietlao.evaluation.evaluate import read_predictions
from vietlao.report.build import Setting, System, build_report
from vietlao.report.render import write_html

REPORT_DIR = "report"
TASK_ORDER = ("ner", "ner+linking", "linking", "stance")


def setting(protocol: Protocol) -> Setting:
    """The report's setting of a benchmark protocol: its gold, and what its folds train on."""
    return Setting(protocol.name, protocol.description, SeenRule.parse(seen_in(protocol.name)), protocol.split,
                   protocol.langs)


def baseline_systems(folder: Path, modules: Sequence[Baseline], protocol: str,
                     shown: Callable[[Path], str] = str) -> dict[str, list[System]]:
    """Per task, the seed-0 predictions of the baselines in ``folder`` under ``protocol`` (those present)."""
    out: dict[str, list[System]] = {}
    for module in modules:
        path = predictions_file(folder, module, protocol)
        if path.is_file():
            out.setdefault(module.TASK, []).append(System(module.NAME, read_predictions(path), shown(path)))
    return {t: out[t] for t in sorted(out, key=lambda t: TASK_ORDER.index(t) if t in TASK_ORDER else len(TASK_ORDER))}


def write_reports(folder: Path, modules: Sequence[Baseline], protocols: Sequence[Protocol], *,
                  dataset_dir: Path | str | None, n_boot: int, seed: int, paired: Callable | None = None,
                  shown: Callable[[Path], str] = str) -> dict[str, str]:
    """Write ``report/<protocol>.html`` into ``folder``; the file of each protocol, relative to ``folder``."""
    written = {}
    for protocol in protocols:
        systems = baseline_systems(folder, modules, protocol.name, shown)
        if not systems:
            continue
        model = build_report(systems, setting(protocol), dataset_dir=dataset_dir, n_boot=n_boot, seed=seed,
                             paired=paired, title=f"Baselines' errors — {protocol.name}")
        path = Path(folder) / REPORT_DIR / f"{protocol.name}.html"
        write_html(model, path)
        written[protocol.name] = f"{REPORT_DIR}/{protocol.name}.html"
    return written

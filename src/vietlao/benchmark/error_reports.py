"""The baselines' error reports: one HTML file per protocol (:mod:`vietlao.report`), every task's baselines in it.

A protocol's report shows the seed-0 predictions of every baseline that ran under it (the files the
results table scores), with the protocol's gold and training part (:func:`setting`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from vietlao.benchmark.linking import seen_in
from vietlao.benchmark.protocols import Protocol, predictions_file, protocols
from vietlao.dataset.linking import SeenRule
from vietlao.errors import UserError
from vietlao.evaluation.evaluate import read_predictions
from vietlao.evaluation.gold import load_gold
from vietlao.models.interface import Baseline
from vietlao.paths import project, shown
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


def named_systems(task: str, predictions: Sequence[str], baselines: str | None, protocol: str) -> list[System]:
    """The systems of ``vietlao report``: each ``[NAME=]FILE`` of ``predictions``, then the committed
    seed-0 predictions under ``protocol`` of the ``task``'s ``baselines`` (a comma list, or ``all``)."""
    systems = []
    for item in predictions:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = Path(item).stem, item
        if not name:
            raise UserError(f"--predictions {item}: an empty name before '='")
        systems.append(System(name, read_predictions(path), path))
    if baselines:
        from vietlao.models.registry import select_baselines  # loads every baseline: only when some are named

        names = None if baselines.strip() == "all" else [x.strip() for x in baselines.split(",") if x.strip()]
        modules = [m for m in select_baselines(names) if m.TASK == task]
        if not modules:
            raise UserError(f"--baselines {baselines}: no {task} baseline among them")
        for module in modules:
            file = predictions_file(project().results, module, protocol)
            if not file.is_file():
                raise UserError(f"--baselines: no predictions of {module.NAME} under {protocol} ({file}); "
                                "run vietlao benchmark first")
            systems.append(System(module.NAME, read_predictions(file), shown(file)))
    if not systems:
        raise UserError("no predictions: give --predictions FILE … and/or --baselines NAMES")
    return systems


def write_error_report(task: str, predictions: Sequence[str], baselines: str | None, protocol: str,
                       output: Path | str, *, dataset_dir: Path | str | None, tagset: str, scheme: str, n_boot: int,
                       seed: int) -> tuple[Path, dict]:
    """``vietlao report``: write the report of the :func:`named_systems` on ``task`` under the
    benchmark's ``protocol`` to ``output``; the file and the report's model."""
    if n_boot < 0:
        raise UserError(f"--bootstrap {n_boot}: 0 or more")
    rows = load_gold("ner", "all", dataset_dir)
    known = {p.name: p for p in protocols(rows)}
    if protocol not in known:
        raise UserError(f"unknown protocol {protocol!r}: choose from {', '.join(known)}")
    systems = named_systems(task, predictions, baselines, protocol)
    model = build_report({task: systems}, setting(known[protocol]), dataset_dir=dataset_dir, tagset=tagset,
                         scheme=scheme, n_boot=n_boot, seed=seed, sentences=rows)
    return write_html(model, output), model

"""Whether a benchmark run reproduces the committed results, row by row.

A run writes ``results.json`` and its prediction files into its own folder; this compares them with
the committed ones (``benchmarks/results``) without touching either. A row is *identical* when every
figure in it and every prediction file it names are the same bytes; otherwise it *differs*, and the
verdict says by how much (the largest absolute difference over the row's figures, and which one).
Paths are compared relative to each results folder, so a run in ``build/benchmark`` reproduces rows
whose files sit in ``benchmarks/results``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vietlao.errors import UserError
from vietlao.evaluation.gold import parse_splits
from vietlao.paths import project
from vietlao.tables import markdown_table

#: How a row of each part of ``results.json`` is named.
PARTS = {
    "rows": lambda row: f"{row['task']} {row['baseline']} {row['protocol']}",
    "peer_comparison": lambda row: f"{row['system']} {row['protocol']} {row['lang']}",
}
#: Fields that hold where the run wrote its files (compared as files, not as text).
LOCATION_FIELDS = ("predictions", "command")


@dataclass(frozen=True)
class RowVerdict:
    part: str
    name: str
    status: str  # identical, differs, missing (committed, not in the run), new (in the run only)
    figure: str = ""  # the figure that moved most, for a row that differs
    committed: float | None = None
    reproduced: float | None = None
    files_differ: tuple[str, ...] = ()

    @property
    def delta(self) -> float | None:
        if self.committed is None or self.reproduced is None:
            return None
        return abs(self.reproduced - self.committed)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every scalar of a JSON value by its dotted path."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(_leaves(item, f"{path}[{i}]"))
        return out
    return {path: value}


def _rows(results: dict) -> dict[tuple[str, str], dict]:
    named: dict[tuple[str, str], dict] = {}
    for part, name in PARTS.items():
        block = results.get(part) or {}
        for row in block.get("rows", []) if isinstance(block, dict) else block:
            named[(part, name(row))] = row
    for baseline, row in ((results.get("preannotation") or {}).get("rows") or {}).items():
        named[("preannotation", baseline)] = row
    return named


def _files(row: dict, folder: Path, results_prefix: str) -> dict[str, bytes | None]:
    """The row's prediction files by their path inside the results folder."""
    out = {}
    for recorded in row.get("predictions") or []:
        inside = recorded[len(results_prefix):] if recorded.startswith(results_prefix) else recorded
        path = folder / inside
        out[inside] = path.read_bytes() if path.is_file() else None
    return out


def _prefix(folder: Path, root: Path) -> str:
    try:
        return folder.resolve().relative_to(root.resolve()).as_posix() + "/"
    except ValueError:
        return folder.as_posix() + "/"


def compare_rows(run_dir: Path, committed_dir: Path, root: Path) -> list[RowVerdict]:
    """One verdict per row of either results file (``results.json`` in each folder)."""
    run = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    committed = json.loads((committed_dir / "results.json").read_text(encoding="utf-8"))
    run_rows, committed_rows = _rows(run), _rows(committed)
    run_prefix, committed_prefix = _prefix(run_dir, root), _prefix(committed_dir, root)
    verdicts = []
    for key in list(committed_rows) + [k for k in run_rows if k not in committed_rows]:
        part, name = key
        if key not in run_rows or key not in committed_rows:
            verdicts.append(RowVerdict(part, name, "missing" if key not in run_rows else "new"))
            continue
        old, new = committed_rows[key], run_rows[key]
        old_leaves = {k: v for k, v in _leaves(old).items() if k.split(".")[0].split("[")[0] not in LOCATION_FIELDS}
        new_leaves = {k: v for k, v in _leaves(new).items() if k.split(".")[0].split("[")[0] not in LOCATION_FIELDS}
        old_files = _files(old, committed_dir, committed_prefix)
        new_files = _files(new, run_dir, run_prefix)
        files_differ = tuple(sorted(p for p in set(old_files) | set(new_files) if old_files.get(p) != new_files.get(p)))
        if old_leaves == new_leaves and not files_differ:
            verdicts.append(RowVerdict(part, name, "identical"))
            continue
        moved = [(abs(float(new_leaves[k]) - float(old_leaves[k])), k) for k in old_leaves
                 if k in new_leaves and isinstance(old_leaves[k], (int, float)) and isinstance(new_leaves[k], (int, float))
                 and not isinstance(old_leaves[k], bool) and old_leaves[k] != new_leaves[k]]
        if moved:
            _, figure = max(moved)
            verdicts.append(RowVerdict(part, name, "differs", figure, float(old_leaves[figure]),
                                       float(new_leaves[figure]), files_differ))
        else:
            changed = sorted(k for k in set(old_leaves) | set(new_leaves) if old_leaves.get(k) != new_leaves.get(k))
            verdicts.append(RowVerdict(part, name, "differs", changed[0] if changed else "", files_differ=files_differ))
    return verdicts


def reproduced(verdicts: list[RowVerdict]) -> bool:
    return bool(verdicts) and all(v.status == "identical" for v in verdicts)


def verdict_table(verdicts: list[RowVerdict]) -> str:
    """The verdict as tables: counts per part, then every row that is not identical."""
    statuses = ("identical", "differs", "missing", "new")
    parts = list(dict.fromkeys(v.part for v in verdicts))
    counts = [[part, *(sum(v.part == part and v.status == s for v in verdicts) for s in statuses)] for part in parts]
    text = markdown_table(["results part", *statuses], counts)
    off = [v for v in verdicts if v.status != "identical"]
    if off:
        text += "\n\n" + markdown_table(
            ["row", "status", "figure that moved most", "committed", "this run", "|Δ|", "prediction files that differ"],
            [[f"{v.part}: {v.name}", v.status, v.figure or "—",
              "—" if v.committed is None else v.committed, "—" if v.reproduced is None else v.reproduced,
              "—" if v.delta is None else v.delta, ", ".join(v.files_differ) or "—"] for v in off])
    return text


def output_folder(output: str | None, replace_results: bool) -> Path:
    """Where a run writes: ``build/benchmark`` by default; the committed results only when the run
    says so with ``replace_results`` (and names no other folder)."""
    results = project().results
    if replace_results and output and Path(output).resolve() != results.resolve():
        raise UserError(f"--replace-results writes the committed results ({results}); it takes no other --output")
    folder = results if replace_results else (Path(output) if output else project().benchmark_run)
    if folder.resolve() == results.resolve() and not replace_results:
        raise UserError(f"--output {output}: that is the committed results; a run that should replace them "
                        "says so with --replace-results (and no --output)")
    return folder


def against_committed(run_dir: Path, complete: bool) -> list[RowVerdict] | None:
    """The verdicts of a run in ``run_dir`` against the committed results (rows a narrowed run
    did not make are left out); ``None`` when the run is the committed results or there are none."""
    committed = project().results
    if run_dir.resolve() == committed.resolve() or not (committed / "results.json").is_file():
        return None
    verdicts = compare_rows(run_dir, committed, project().root)
    return verdicts if complete else [v for v in verdicts if v.status != "missing"]


def committed_predictions(name: str, task: str, split: str, langs: list[str] | None) -> Path:
    """The committed predictions of benchmark baseline ``name`` (``NAME`` or ``NAME@PROTOCOL``) whose
    row scores the same gold as ``vietlao evaluate --compare`` does (the same --split and --lang)."""
    results = project().results / "results.json"
    if not results.is_file():
        raise UserError(f"--compare {name}: not a file, and no benchmark results ({results}) to find a baseline in")
    baseline, _, protocol = name.partition("@")
    rows = [r for r in json.loads(results.read_text(encoding="utf-8"))["rows"]
            if r["task"] == task and r.get("source") != "peers" and "command" in r]
    named = [r for r in rows if r["baseline"] == baseline]
    if not named:
        known = ", ".join(sorted({r["baseline"] for r in rows}))
        raise UserError(f"--compare {name}: no such file, nor a {task} baseline of the benchmark ({known})")
    want = ("+".join(parse_splits(split)), ",".join(sorted(langs)) if langs else None)

    def scope(row: dict) -> tuple[str, str | None]:
        words = row["command"].split()
        lang = words[words.index("--lang") + 1] if "--lang" in words else None
        return "+".join(parse_splits(words[words.index("--split") + 1])), lang

    def options(row: dict) -> str:  # the row's own --split and --lang, as its command gives them
        words = row["command"].split()
        return " ".join(f"{o} {words[words.index(o) + 1]}" for o in ("--split", "--lang") if o in words)

    match = [r for r in named if r["protocol"] == protocol] if protocol else [r for r in named if scope(r) == want]
    if len(match) != 1:
        where = ", ".join(f"{r['protocol']} ({options(r)})" for r in named)
        raise UserError(f"--compare {name}: no {baseline} predictions on this gold; its protocols: {where}")
    row = match[0]
    if protocol and scope(row) != want:
        raise UserError(f"--compare {name}: that row scores {options(row)}; give the same here")
    path = project().root / row["predictions"][0]
    return Path(os.path.relpath(path)) if path.resolve().is_relative_to(Path.cwd().resolve()) else path

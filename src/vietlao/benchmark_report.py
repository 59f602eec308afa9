"""The benchmark's report: one results table (Markdown), ``RESULTS.md`` and two plots."""

from __future__ import annotations

from pathlib import Path

COLUMNS = (  # (metric key, header)
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("f1_coarse", "F1 coarse"),
    ("f1_partial", "F1 partial"),
    ("accuracy", "accuracy"),
    ("macro_f1", "macro-F1"),
    ("f_avg", "F_avg"),
)
PROTOCOL_ORDER = ("fixed", "lodo", "xling-nb", "xling-id", "xling-ru")


def _cell(block: dict | None, seeds: int) -> str:
    if block is None:
        return "—"
    text = f"{block['value']:.3f}"
    if block.get("ci_low") is not None:
        text += f" [{block['ci_low']:.2f}, {block['ci_high']:.2f}]"
    if seeds > 1:
        text += f" (mean {block['seed_mean']:.3f} ± {block['seed_sd']:.3f})"
    return text


def _order(row: dict) -> tuple:
    protocol = row["protocol"]
    rank = PROTOCOL_ORDER.index(protocol) if protocol in PROTOCOL_ORDER else len(PROTOCOL_ORDER)
    return (row["task"] != "ner", row.get("source") == "peers", rank, protocol)


def results_table(results: dict) -> str:
    """One Markdown table: task × baseline × protocol rows, one column per metric."""
    rows = sorted(results["rows"], key=_order)
    header = ["task", "baseline", "protocol", "train → test", "n"] + [h for _, h in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        cells = [row["task"], row["baseline"], row["protocol"], row["setting"], str(row["n_sentences"])]
        cells += [_cell(row["metrics"].get(key), len(row["seeds"])) for key, _ in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _err(block: dict | None, key: str) -> float:
    """Error-bar length from the value to one end of its CI (0 without one)."""
    if not block or block.get(key) is None:
        return 0.0
    return max(0.0, abs(block[key] - block["value"]))


def _plot_ner(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ner = [r for r in results["rows"] if r["task"] == "ner" and r.get("source") != "peers"]
    baselines = list(dict.fromkeys(r["baseline"] for r in ner))
    panels = [
        ("leave one document out (pooled), per language",
         {r["baseline"]: r.get("per_lang", {}) for r in ner if r["protocol"] == "lodo"}),
        ("cross-lingual: trained on vi",
         {b: {r["protocol"].removeprefix("xling-"): r["metrics"]["f1"]
              for r in ner if r["baseline"] == b and r["protocol"].startswith("xling-")} for b in baselines}),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, (title, data) in zip(axes, panels):
        langs = [x for x in ("nb", "id", "vi", "ru") if any(x in d for d in data.values())]
        width = 0.8 / max(len(baselines), 1)
        for i, b in enumerate(baselines):
            blocks = [data.get(b, {}).get(lang) for lang in langs]
            xs = [j + (i - (len(baselines) - 1) / 2) * width for j in range(len(langs))]
            values = [bl["value"] if bl else 0.0 for bl in blocks]
            errors = [[_err(bl, "ci_low") for bl in blocks], [_err(bl, "ci_high") for bl in blocks]]
            ax.bar(xs, values, width, yerr=errors, capsize=3, label=b)
        ax.set_xticks(range(len(langs)), langs)
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("strict entity F1 (fine types), 95% CI")
    if baselines:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def _plot_stance(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["rows"] if r["task"] == "stance" and r["protocol"] == "lodo"]
    fig, axes = plt.subplots(1, max(len(rows), 1), figsize=(4.6 * max(len(rows), 1), 4), squeeze=False)
    for ax, row in zip(axes[0], rows):
        cm = row["confusion_matrix"]
        ax.imshow(cm["matrix"], cmap="Blues")
        top = max(max(line) for line in cm["matrix"]) or 1
        for i, line in enumerate(cm["matrix"]):
            for j, v in enumerate(line):
                ax.text(j, i, str(v), ha="center", va="center", fontsize=9,
                        color="white" if v > top / 2 else "black")
        ax.set_xticks(range(len(cm["labels"])), cm["labels"], rotation=30)
        ax.set_yticks(range(len(cm["labels"])), cm["labels"])
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
        ax.set_title(f"{row['baseline']} (leave one document out, n={row['n_sentences']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


NOTES = """\
## Reading the table

* **Value** — the score of the seed-0 predictions, exactly what `vietlao evaluate` prints for that file
  (each row's file and command are in `results.json`, keys `predictions` and `command`). **[a, b]** — 95%
  percentile bootstrap CI, 1000 resamples of *sentences* (seed 0). **(mean ± sd)** — mean and standard
  deviation over seeds, shown where a row ran several (see *Seeds* below).
* **NER** — strict entity-level micro P/R/F1 (conlleval: exact span and type; seqeval strict IOB2) over
  the eight fine types; *F1 coarse* maps types to CoNLL PER/ORG/LOC/MISC (GPE→LOC, EVENT→MISC; DATE
  and MONEY dropped); *F1 partial* counts a same-type overlap as a match (SemEval-2013 "type" scheme,
  one-to-one). **Stance** — accuracy; macro-F1 over the classes present in gold; F_avg = mean F1 of
  *favor* and *against* (SemEval-2016 Task 6).
* **Protocols** — *fixed*: train on train+validation (vi 002, 004 and ru 003; nothing is tuned, so the
  validation document is used for training), test on test (nb 000, id 001). *lodo*: leave one document
  out, five folds; the held-out predictions are pooled into one file and scored once over all {n_all}
  sentences. *xling-L*: train on the Vietnamese documents 002+004, test on language L alone.
* **Leakage in lodo** — documents 000 (nb) and 001 (id) report the same meeting, so when one is held out
  the other, in training, carries the same event, names and figures: lodo scores on those two folds are
  optimistic. The xling and fixed protocols do not have this leak (000 and 001 are both test there).
{stance_note}
* **Small samples** — {n_test} test sentences, {n_ru} Russian ones: intervals are wide, and differences
  inside overlapping intervals are not evidence. Some resamples of a small set hold a single gold stance
  class; macro-F1 over the classes present is then that class's F1, which is why a constant predictor's
  macro-F1 interval can reach 1.00.
* **Peers** — rows marked `off-the-shelf` (if present) are pretrained tools run by
  `benchmarks/peers/run_peers.py` on their own language only, scored on coarse types only.
"""


def seeds_note(results: dict) -> str:
    """What the seeds showed, computed from the rows that ran several."""
    multi = [r for r in results["rows"] if len(r.get("seeds", [])) > 1]
    if not multi:
        return "* **Seeds** — every row ran one seed."
    names = ", ".join(sorted({f"`{r['baseline']}`" for r in multi}))
    seeds = ", ".join(str(s) for s in multi[0]["seeds"])
    f1 = [r["metrics"]["f1"]["seed_sd"] for r in multi if "f1" in r["metrics"]]
    spread = f" (sd of F1 from {min(f1):.3f} to {max(f1):.3f})" if f1 else ""
    return (f"* **Seeds** — {names} depends on its seed and ran with seeds {seeds} under every protocol"
            f"{spread}; its cells add the mean ± standard deviation over those runs. The other baselines "
            "are deterministic (majority class, gazetteer, L-BFGS CRF and logistic regression on convex objectives) and ran once.")


def _n(results: dict, protocol: str) -> int | str:
    return next((r["n_sentences"] for r in results["rows"] if r["protocol"] == protocol), "?")


def stance_note(results: dict) -> str:
    """What the gold stance distribution means for the figures (from the pooled lodo confusion)."""
    row = next((r for r in results["rows"] if r["task"] == "stance" and r["protocol"] == "lodo"), None)
    if row is None:
        return "* **Stance** — not run."
    cm = row["confusion_matrix"]
    support = {label: sum(line) for label, line in zip(cm["labels"], cm["matrix"])}
    total = sum(support.values()) or 1
    top = max(support, key=support.get)
    text = (f"* **Stance gold** — {', '.join(f'{k} {v}' for k, v in support.items())} sentences; *{top}* "
            f"makes {support[top] / total:.0%} of them, so the majority class is a strong accuracy baseline "
            "and macro-F1 and F_avg are the figures to compare.")
    if support.get("against", 1) == 0:
        text += (" The class *against* has no gold instance: its F1 is 0 by the SemEval convention, so "
                 "F_avg is at most 0.5 (it is half the F1 of *favor*).")
    return text


def best_rows(results: dict) -> str:
    """One line per task and protocol: the baseline with the best headline metric (peers excluded)."""
    lines = []
    for task, key, label in (("ner", "f1", "strict F1"), ("stance", "macro_f1", "macro-F1")):
        rows = [r for r in results["rows"] if r["task"] == task and r.get("source") != "peers"]
        for protocol in sorted({r["protocol"] for r in rows}, key=lambda p: _order({"task": task, "protocol": p})):
            best = max((r for r in rows if r["protocol"] == protocol), key=lambda r: r["metrics"][key]["value"])
            m = best["metrics"][key]
            ci = f" [{m['ci_low']:.2f}, {m['ci_high']:.2f}]" if m.get("ci_low") is not None else ""
            lines.append(f"* {task}, {protocol} ({best['setting']}): `{best['baseline']}`, {label} {m['value']:.3f}{ci}")
    return "\n".join(lines)


def render_markdown(results: dict, table: str) -> str:
    meta = results["meta"]
    notes = NOTES.format(n_test=_n(results, "fixed"), n_all=_n(results, "lodo"), n_ru=_n(results, "xling-ru"),
                         stance_note=stance_note(results))
    example = next((r["command"] for r in results["rows"] if r["protocol"] == "lodo" and r["task"] == "ner"), None)
    example = f"{example}   # a row of the table, from its file\n" if example else ""
    baselines = "\n".join(f"* `{name}` — {doc}" for name, doc in meta["baselines"].items())
    return f"""# Benchmark results

Generated by `vietlao benchmark` (deterministic: fixed seeds; rerun to regenerate this file, `results.json`
and the figures). Every number comes from one scorer, `vietlao evaluate`, reading a predictions file.

## Results

{table}

Best baseline per task and protocol (by point estimate; see the intervals before reading a ranking):

{best_rows(results)}

{notes}{seeds_note(results)}

## Baselines

{baselines}

## Figures

* `ner_f1_per_lang.png` — strict fine-type F1 per language: leave-one-document-out (pooled) and
  cross-lingual (trained on vi), with 95% CIs.
* `stance_confusion.png` — stance confusion matrices of the leave-one-document-out predictions.

## Reproduce

```sh
vietlao benchmark                                  # everything: this file, results.json, figures
vietlao benchmark --seeds 5 --output /tmp/bench    # more seeds for seed-dependent baselines, elsewhere
# one baseline by hand, then the one scorer:
python benchmarks/baselines/ner_crf.py --train train,validation --test test --out /tmp/crf.jsonl
vietlao evaluate --task ner --predictions /tmp/crf.jsonl --split test
{example}python benchmarks/baselines/stance_tfidf.py --train train --test test --out /tmp/st.jsonl   # vi → nb+id
vietlao evaluate --task stance --predictions /tmp/st.jsonl --split test --output /tmp/st_scores.json
```
"""


def write_report(results: dict, out_dir: Path) -> str:
    """Write ``RESULTS.md`` and the figures into ``out_dir``; return the table."""
    table = results_table(results)
    out_dir = Path(out_dir)
    (out_dir / "RESULTS.md").write_text(render_markdown(results, table), encoding="utf-8")
    _plot_ner(results, out_dir / "ner_f1_per_lang.png")
    _plot_stance(results, out_dir / "stance_confusion.png")
    return table

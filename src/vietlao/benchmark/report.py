"""The benchmark's report: ``RESULTS.md`` made of tables (and the figures of :mod:`plots`).

Every table is computed from ``results.json``; the only prose is the fixed legend below, which names
no document, language, count or result. A reading of the figures, written by a person, belongs beside
the report (``benchmarks/README.md``), not in it.
"""

from __future__ import annotations

from pathlib import Path

from vietlao.benchmark import differences, linking
from vietlao.assist.effort import effort_section
from vietlao.benchmark.plots import plot_ner, plot_stance
from vietlao.tables import markdown_table

COLUMNS = (  # (metric key, header)
    ("precision", "P"), ("recall", "R"), ("f1", "F1"), ("f1_coarse", "F1 coarse"), ("f1_partial", "F1 partial"),
    ("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("f_avg", "F_avg"),
)
COARSE = ("PER", "ORG", "LOC", "MISC")
KINDS = ("exact", "wrong_type", "boundary", "boundary_and_type", "spurious", "missed")
#: anatomy categories beyond the match kinds: (category, count of, surfaces quoted as examples)
SHAPES = (
    ("longer_than_a_gold_span", "span_shape", "swallows_person"),
    ("covers_several_gold_spans", "span_shape", "covers_several"),
    ("gold_split_into_several", "span_shape", None),
    ("inside_a_longer_gold_span", None, "inside_gold"),
    ("gold_not_on_tool_word_edges", None, "unreachable"),
)
EXAMPLES_OF_KIND = {"wrong_type": "wrong_type", "spurious": "spurious"}
#: A protocol testing on fewer sentences than this gets a warning under the results table.
MIN_SENTENCES = 30

LEGEND = """\
## Legend

* **Value** — the score of the seed-0 predictions, exactly what `vietlao evaluate` prints for that file
  (each row's file and command: *Commands* below and `results.json`). **[a, b]** — 95% percentile
  bootstrap CI over sentences (resamples and seed in *Run*). **(mean ± sd)** — over seeds, where a row
  ran several.
* **NER** — strict entity-level micro P/R/F1 (exact span and type; seqeval strict IOB2) over the fine
  types; *F1 coarse* maps types to CoNLL PER/ORG/LOC/MISC (GPE→LOC, EVENT→MISC; DATE and MONEY
  dropped); *F1 partial* counts a same-type overlap as a match (SemEval-2013 "type", one-to-one).
  **Stance** — accuracy; macro-F1 over the classes present in gold; F_avg = mean F1 of *favor* and
  *against* (SemEval-2016 Task 6; a class with no gold instance has F1 0).
* **Knowledge base** — *gazetteer*, *crf* and *token-lr* also match the inventory's names (canonical
  and per language, from knowledge sources, never the gold's surface forms) of the entities annotated
  in the fold's training rows only: a name reaches a test sentence through an entity seen in training
  (a Norwegian or Lao name of an entity the Vietnamese training text has), never as a list of the test
  entities.
* **Protocols** — *Protocols* below lists the documents every fold trains and tests on, and the
  training documents that report the same event as a test document (from the metadata's `event`):
  such a fold is optimistic, as names and figures of the event are in training.
* **Small samples** — intervals are wide; differences inside overlapping intervals are not evidence.
  A protocol that tests on fewer than {min_sentences} sentences (a language with one short document, say) is
  listed under the results table: its figures are too few to mean anything about the language.
  A resample holding a single gold stance class gives that class's F1 as macro-F1, so a constant
  predictor's interval can reach 1.00.
* **Error reports** — one static HTML page per protocol (opens from disk, fetches nothing), made by
  `vietlao report` from the seed-0 predictions: every sentence with the gold and each baseline's
  entities, errors by kind, stance and entity IDs, filters, and the scorer's figures per bucket
  (entity length, seen surface form, language, script, sentence length) with their CIs.
* **Peers** — off-the-shelf tools cover one language each: they are set beside the baselines on exactly
  their sentences, on coarse types, in *Off-the-shelf peers*; *Error anatomy* sorts their predictions
  and the gold mentions by why they did or did not match (a reading aid, not a second scorer).
"""


def _cell(block: dict | None, seeds: int, digits: int = 2) -> str:
    if block is None:
        return "—"
    text = f"{block['value']:.3f}"
    if block.get("ci_low") is not None:
        text += f" [{block['ci_low']:.{digits}f}, {block['ci_high']:.{digits}f}]"
    if seeds > 1:
        text += f" (mean {block['seed_mean']:.3f} ± {block['seed_sd']:.3f})"
    return text


def _baseline_rows(results: dict) -> list[dict]:
    order = list(results["meta"]["protocols"])
    rank = {p: i for i, p in enumerate(order)}
    rows = [r for r in results["rows"] if r.get("source") != "peers" and r["task"] in ("ner", "stance")]
    return sorted(rows, key=lambda r: (r["task"] != "ner", rank.get(r["protocol"], len(order))))


def results_table(results: dict) -> str:
    """Task × baseline × protocol, one column per metric (peers: their own table)."""
    header = ["task", "baseline", "protocol", "train → test", "n"] + [h for _, h in COLUMNS] + ["vs best"]
    return markdown_table(header, [
        [r["task"], r["baseline"], r["protocol"], r["setting"], str(r["n_sentences"])]
        + [_cell(r["metrics"].get(key), len(r["seeds"])) for key, _ in COLUMNS] + [differences.versus_cell(r)]
        for r in _baseline_rows(results)
    ])


def protocols_table(meta: dict) -> str:
    docs = meta["documents"]

    def names(ids: list[str]) -> str:
        return ", ".join(f"{d} ({docs[d]['lang']})" for d in ids) or "—"

    rows = []
    for name, p in meta["protocols"].items():
        for i, fold in enumerate(p["folds"]):
            rows.append([name, p["setting"], str(i), names(fold["train"]), names(fold["test"]),
                         names(fold.get("same_event", []))])
    return markdown_table(["protocol", "setting", "fold", "train documents", "test documents",
                          "training documents reporting a test document's event"], rows)


def documents_table(meta: dict) -> str:
    return markdown_table(["document", "language", "split", "event"],
                          [[d, m["lang"], m["split"], m.get("event") or "—"] for d, m in meta["documents"].items()])


def stance_gold_table(results: dict) -> str:
    row = next((r for r in results["rows"] if r["task"] == "stance" and r["protocol"] == "lodo"), None)
    if row is None:
        return "—"
    cm = row["confusion_matrix"]
    support = {label: sum(line) for label, line in zip(cm["labels"], cm["matrix"])}
    total = sum(support.values()) or 1
    return markdown_table(["gold stance", "sentences", "share"],
                          [[k, str(v), f"{v / total:.2f}"] for k, v in support.items()])


def baselines_table(meta: dict) -> str:
    return markdown_table(["baseline", "task", "seeds", "what"],
                          [[f"`{n}`", b["task"], ", ".join(map(str, meta["seeds"])) if b["seeded"] else "deterministic",
                    b["summary"]] for n, b in meta["baselines"].items()])


def run_table(meta: dict) -> str:
    rows = [["bootstrap", f"{meta['bootstrap']['resamples']} resamples of sentences, seed {meta['bootstrap']['seed']}"],
            ["seeds", ", ".join(map(str, meta["seeds"]))],
            ["complete run", "yes" if meta.get("complete") else "no (narrowed)"]]
    if "encoder" in meta:
        enc = meta["encoder"]
        rows += [["encoder", enc["model"]], ["encoder package", enc["package"]],
                 ["encoder model sha256", f"`{enc['model_sha256']}`"]]
    rows += [[f"skipped: `{k}`", v] for k, v in meta.get("skipped", {}).items()]
    return markdown_table(["", ""], rows)


def peer_table(comparison: dict, source: str) -> str:
    header = ["system", "protocol", "setting", "lang", "n", "gold", "P", "R", "F1", "F1 partial", *COARSE]
    rows = []
    for r in comparison["rows"]:
        system = f"**{r['system']}**" if r["source"] == "peer" else f"`{r['system']}`"
        rows.append([system, r["protocol"], r["setting"], r["lang"], str(r["n_sentences"]), str(r["n_gold"]),
                     _cell(r["precision"], 1, 3), _cell(r["recall"], 1, 3), _cell(r["f1"], 1, 3),
                     f"{r['f1_partial']:.3f}"]
                    + [f"{r['per_type'][t]['f1']:.3f}" if t in r["per_type"] else "—" for t in COARSE])
    return markdown_table(header, rows)


def _examples(items: list[dict], limit: int = 3) -> str:
    def one(x: dict) -> str:
        if "text" in x:
            text = f"`{x['text']}` {x['label']}"
            if "gold" in x:
                text += f" (gold `{x['gold']}` {x.get('gold_label', '')})".replace(" )", ")")
            elif "gold_label" in x:
                text += f" (gold {x['gold_label']})"
        else:
            text = f"`{x['gold']}` {x['gold_label']} (tool words `{x['tool_words']}`)"
        return text + (f" ×{x['n']}" if x["n"] > 1 else "")  # markdown_table escapes "|"

    shown = [one(x) for x in items[:limit]]
    return "; ".join(shown) + ("; …" if len(items) > limit else "") if shown else "—"


def anatomy_table(comparison: dict) -> str:
    rows = []
    for peer in (r for r in comparison["rows"] if r["source"] == "peer" and "anatomy" in r):
        a, name = peer["anatomy"], peer["system"]
        surfaces = a.get("surfaces", {})
        for kind in KINDS:
            if kind in EXAMPLES_OF_KIND:
                examples = _examples(surfaces.get(EXAMPLES_OF_KIND[kind], []))
            else:  # "<sentence id> '<text>':<label> (gold ...)", the first few in sentence order
                shown = a.get("examples", {}).get(kind, [])
                examples = "; ".join(shown[:3]) + ("; …" if len(shown) > 3 else "") or "—"
            rows.append([name, kind.replace("_", " "), str(a["kinds"].get(kind, 0)), examples])
        for category, counted_in, surfaces_key in SHAPES:
            items = surfaces.get(surfaces_key, []) if surfaces_key else []
            if counted_in == "span_shape":
                n = a["span_shape"].get(category, 0)
            elif category == "gold_not_on_tool_word_edges":
                n = sum((a.get(category) or {}).values())
            else:
                n = sum(x["n"] for x in items)
            rows.append([name, category.replace("_", " "), str(n), _examples(items)])
    return markdown_table(["peer", "category", "count", "examples (most frequent first)"], rows)


def recall_by_type_table(comparison: dict) -> str:
    rows = []
    for peer in (r for r in comparison["rows"] if r["source"] == "peer" and "anatomy" in r):
        for t, v in peer["anatomy"]["recall_by_fine_type"].items():
            rows.append([peer["system"], t, str(v["gold"]), str(v["exact"]), str(v["overlapped"])])
    return markdown_table(["peer", "gold fine type", "gold mentions", "exact (coarse type)", "overlapped"], rows)


def reports_table(meta: dict) -> str:
    """One row per protocol: its HTML error report (every baseline's predictions, sentence by sentence)."""
    return markdown_table(["protocol", "setting", "error report"], [
        [name, meta["protocols"][name]["setting"], f"[`{path}`]({path})"] for name, path in meta["error_reports"].items()
    ])


def commands_table(results: dict) -> str:
    order = {t: i for i, t in enumerate(("ner", "stance", linking.TASK, linking.E2E_TASK))}
    own = sorted((r for r in results["rows"] if r.get("source") != "peers" and "command" in r),
                 key=lambda r: order.get(r["task"], len(order)))
    rows = [[r["task"], r["baseline"], r["protocol"], f"`{r['command']}`"] for r in own]
    rows += [["ner", r["system"], r["protocol"], f"`{r['command']}`"]
             for r in results.get("peer_comparison", {}).get("rows", [])]
    return markdown_table(["task", "system", "protocol", "command"], rows)


def too_few_table(results: dict) -> str:
    """The protocols whose test sentences are fewer than :data:`MIN_SENTENCES`, if any."""
    small = sorted({(r["protocol"], r["setting"], r["n_sentences"]) for r in _baseline_rows(results)
                    if r["n_sentences"] < MIN_SENTENCES})
    if not small:
        return ""
    return (f"\nToo few sentences for a figure to mean anything (fewer than {MIN_SENTENCES}):\n\n"
            + markdown_table(["protocol", "train → test", "n"], [[p, s, str(n)] for p, s, n in small]) + "\n")


def render_markdown(results: dict, table: str) -> str:
    meta, comparison = results["meta"], results.get("peer_comparison", {"rows": []})
    peers = ""
    if comparison["rows"]:
        peers = f"""
## Off-the-shelf peers

{peer_table(comparison, "peer")}

### Error anatomy

{anatomy_table(comparison)}

{recall_by_type_table(comparison)}
"""
    reports = ""
    if meta.get("error_reports"):
        reports = "## Error reports\n\n" + reports_table(meta) + "\n\n"
    tests = results.get("significance", {})
    pairwise = "\n\n".join(f"**{task}, {protocol}** ({differences.HEADLINE[task][0]}):\n\n{block}"
                             for task, protocol in differences.PAIRWISE
                             if (block := differences.pairwise_table(tests, task, protocol)))
    significance = f"""
## Significance

Paired tests of two systems' seed-0 predictions on the same sentences (`vietlao evaluate --compare`):
paired bootstrap and approximate randomization, {meta['bootstrap']['resamples']} resamples each, seed
{meta['bootstrap']['seed']}. *vs best* in the tables above: each row against the best row of its task
and protocol; a difference *differs* when both p-values are below {tests.get('alpha', differences.ALPHA)}.

### Claims

{differences.claims_table(tests)}

### Every pair

{pairwise}
""" if tests else ""
    return f"""# Benchmark results

Generated by `vietlao benchmark` from `results.json` (deterministic: a rerun writes the same bytes).
Every number comes from one scorer, `vietlao evaluate`, reading a predictions file.

## Results

<!-- table -->
{table}
{too_few_table(results)}<!-- /table -->

## Run

{run_table(meta)}

## Protocols

{protocols_table(meta)}

{documents_table(meta)}

## Baselines

{baselines_table(meta)}

{stance_gold_table(results)}

{effort_section(results)}{significance}{peers}
{LEGEND.format(min_sentences=MIN_SENTENCES)}
{reports}## Figures

| file | shows |
|---|---|
| `ner_f1_per_lang.png` | strict fine-type NER F1 per language: leave-one-document-out (pooled) and cross-lingual, 95% CIs |
| `stance_confusion.png` | stance confusion matrices of the leave-one-document-out predictions |

## Commands

`vietlao benchmark` regenerates everything here; each figure above is printed by its command:

{commands_table(results)}
"""


def write_report(results: dict, out_dir: Path) -> str:
    """Write ``RESULTS.md`` and the figures into ``out_dir``; return the results tables (the card quotes them)."""
    table = results_table(results)
    link = linking.linking_table(results, tuple(results["meta"]["protocols"]))
    if link:
        table += "\n\n" + linking.NOTES + "\n" + link
    e2e = linking.end_to_end_table(results, tuple(results["meta"]["protocols"]))
    if e2e:
        table += "\n\n" + linking.E2E_NOTES + "\n" + e2e
    out_dir = Path(out_dir)
    (out_dir / "RESULTS.md").write_text(render_markdown(results, table), encoding="utf-8")
    plot_ner(results, out_dir / "ner_f1_per_lang.png")
    plot_stance(results, out_dir / "stance_confusion.png")
    return table

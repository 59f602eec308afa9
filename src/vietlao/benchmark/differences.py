"""Which differences between the benchmark's systems the data can decide.

Every comparison is the scorer's paired test (:mod:`vietlao.evaluation.comparison`) of two rows'
seed-0 predictions files on the same gold, over sentences, with the run's resamples and seed:

* ``versus_best`` (on every row): the row against the best row of its task and protocol by the
  headline metric (:data:`HEADLINE`);
* ``pairwise``: every pair of systems, for the tasks and protocols of :data:`PAIRWISE`;
* ``claims``: the statements of :data:`CLAIMS`, "A beats B on task T under protocol P", each
  decided at :data:`ALPHA` by both tests (or not decided).
"""

from __future__ import annotations

from itertools import combinations
from typing import Callable

from vietlao.evaluation.comparison import compare_records
from vietlao.evaluation.linking import LinkingContext
from vietlao.tables import markdown_table

#: The metric a row is ranked and compared by: task → (``metrics`` key of a row, ``tests`` key).
HEADLINE = {"ner": ("f1", "micro"), "stance": ("macro_f1", "macro_f1"), "linking": ("accuracy", "accuracy"),
            "ner+linking": ("f1", "micro")}
ALPHA = 0.05
PAIRWISE = (("ner", "lodo"), ("stance", "lodo"))
#: (task, protocol, A, B): "A beats B", the benchmark's stated expectations, decided by the data.
CLAIMS = (
    ("stance", "lodo", "e5-lr", "tfidf-char-lr"),
    ("stance", "lodo", "e5-lr", "majority"),
    ("stance", "lodo", "tfidf-char-lr", "majority"),
    ("ner", "lodo", "crf", "e5-crf"),
    ("ner", "lodo", "crf", "token-lr"),
    ("ner", "lodo", "crf", "gazetteer"),
    ("ner", "xling-nb", "e5-crf", "crf"),
    ("ner", "xling-id", "e5-crf", "crf"),
    ("ner", "xling-ru", "e5-crf", "crf"),
    ("linking", "lodo", "e5-nn", "normalised-lookup"),
    ("linking", "lodo", "e5-nn", "e5-nn+train"),
)

#: ``(row A, row B) -> comparison block`` (the runner binds gold, files, resamples and seed).
Compare = Callable[[dict, dict], dict]


def headline(row: dict) -> float:
    return row["metrics"][HEADLINE[row["task"]][0]]["value"]


def _test(block: dict, task: str) -> dict:
    t = block["tests"][HEADLINE[task][1]]
    keep = ("metric", "value_a", "value_b", "difference", "ci_low", "ci_high", "p_bootstrap", "p_randomization")
    return {**{k: t[k] for k in keep}, "differs": t["p_bootstrap"] < ALPHA and t["p_randomization"] < ALPHA}


def compare_rows(rows: list[dict], run: Compare) -> dict:
    """Fill every comparable row's ``versus_best``; return the ``pairwise`` and ``claims`` tables."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["task"] in HEADLINE and r.get("source") != "peers":
            groups.setdefault((r["task"], r["protocol"]), []).append(r)
    for (task, _), members in groups.items():
        best = max(members, key=headline)  # the first of equals
        for r in members:
            r["versus_best"] = {"best": best["baseline"]}
            if r is not best:
                r["versus_best"].update(_test(run(r, best), task))
    pairwise = []
    for task, protocol in PAIRWISE:
        for a, b in combinations(groups.get((task, protocol), []), 2):
            pairwise.append({"task": task, "protocol": protocol, "a": a["baseline"], "b": b["baseline"],
                             **_test(run(a, b), task)})
    claims = []
    for task, protocol, name_a, name_b in CLAIMS:
        found = {r["baseline"]: r for r in groups.get((task, protocol), [])}
        if name_a in found and name_b in found:
            t = _test(run(found[name_a], found[name_b]), task)
            claims.append({"task": task, "protocol": protocol, "a": name_a, "b": name_b, **t,
                           "decided": ("A better" if t["difference"] > 0 else "B better") if t["differs"] else "no"})
    return {"alpha": ALPHA, "pairwise": pairwise, "claims": claims}


def runner(gold_of: Callable[[dict], list[dict]], records_of: Callable[[dict], list[dict]], n_boot: int, seed: int,
           context_of: Callable[[dict], LinkingContext | None]) -> Compare:
    """A :data:`Compare` over the rows' seed-0 predictions (``records_of``) on their gold (``gold_of``)."""

    def run(a: dict, b: dict) -> dict:
        return compare_records(a["task"], gold_of(a), records_of(a), records_of(b), n_boot=max(n_boot, 1), seed=seed,
                               sources=(a["predictions"][0], b["predictions"][0]), context=context_of(a))

    return run


# --------------------------------------------------------------------------- report


def _p(value: float) -> str:
    return f"{value:.3f}" if value >= 0.001 else f"{value:.1e}"


def versus_cell(row: dict) -> str:
    """The row's cell of the *vs best* column: ``best``, or A − B with both p-values and the verdict."""
    v = row.get("versus_best")
    if v is None:
        return "—"
    if "difference" not in v:
        return "**best**"
    verdict = "differs" if v["differs"] else "not decided"
    return f"{v['difference']:+.3f} vs {v['best']} (p {_p(v['p_bootstrap'])} / {_p(v['p_randomization'])}): {verdict}"


def _interval(t: dict) -> str:
    return "—" if t["ci_low"] is None else f"{t['difference']:+.3f} [{t['ci_low']:+.2f}, {t['ci_high']:+.2f}]"


def pairwise_table(tests: dict, task: str, protocol: str) -> str:
    rows = [[f"`{t['a']}`", f"`{t['b']}`", f"{t['value_a']:.3f}", f"{t['value_b']:.3f}", _interval(t),
             _p(t["p_bootstrap"]), _p(t["p_randomization"]), "yes" if t["differs"] else "no"]
            for t in tests.get("pairwise", []) if t["task"] == task and t["protocol"] == protocol]
    return markdown_table(["A", "B", "A", "B", "A − B [95% CI]", "p bootstrap", "p randomization",
                           f"differ at {tests.get('alpha', ALPHA)}"], rows) if rows else ""


def claims_table(tests: dict) -> str:
    rows = [[t["task"], t["protocol"], f"`{t['a']}` beats `{t['b']}`", t["metric"], f"{t['value_a']:.3f}",
             f"{t['value_b']:.3f}", _interval(t), _p(t["p_bootstrap"]), _p(t["p_randomization"]),
             {"A better": "yes", "B better": "no: the reverse", "no": "undecided"}[t["decided"]]]
            for t in tests.get("claims", [])]
    return markdown_table(["task", "protocol", "claim", "metric", "A", "B", "A − B [95% CI]", "p bootstrap",
                           "p randomization", f"holds at {tests.get('alpha', ALPHA)}"], rows) if rows else ""

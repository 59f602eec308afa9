"""Inter-annotator agreement between two passes of sheets: span F1 per type, Cohen's kappa."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from vietlao.corpus.documents import load_corpus
from vietlao.labels import ENTITY_TYPES
from vietlao.labelstudio.sheets import SheetSentence, read_sheet


def _prf(tp: int, n_a: int, n_b: int) -> dict:
    p = tp / n_b if n_b else 0.0
    r = tp / n_a if n_a else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "a": n_a, "b": n_b, "both": tp}


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label sequences (1.0 when both are constant and equal)."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(a) | set(b)) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def compare(a: list[SheetSentence], b: list[SheetSentence]) -> dict:
    """Strict span agreement (exact offsets and type, B scored against A) and stance kappa."""
    by_id = {s.sentence_id: s for s in b}
    spans_a, spans_b = set(), set()
    stance_a, stance_b, disagreements = [], [], []
    for sa in a:
        sb = by_id[sa.sentence_id]
        ma = {(sa.sentence_id, m.start, m.end, m.label) for m in sa.mentions}
        mb = {(sb.sentence_id, m.start, m.end, m.label) for m in sb.mentions}
        spans_a |= ma
        spans_b |= mb
        stance_a.append(sa.stance)
        stance_b.append(sb.stance)
        only_a = sorted(ma - mb, key=lambda x: x[1])
        only_b = sorted(mb - ma, key=lambda x: x[1])
        if only_a or only_b or sa.stance != sb.stance:
            disagreements.append(
                {
                    "sentence_id": sa.sentence_id,
                    "stance": (sa.stance, sb.stance),
                    "only_a": [(sa.text[s:e], t) for _, s, e, t in only_a],
                    "only_b": [(sb.text[s:e], t) for _, s, e, t in only_b],
                }
            )
    per_type = {
        t: _prf(
            len({x for x in spans_a & spans_b if x[3] == t}),
            sum(x[3] == t for x in spans_a),
            sum(x[3] == t for x in spans_b),
        )
        for t in ENTITY_TYPES
    }
    return {
        "sentences": len(a),
        "micro": _prf(len(spans_a & spans_b), len(spans_a), len(spans_b)),
        "per_type": per_type,
        "stance_kappa": cohen_kappa(stance_a, stance_b),
        "stance_agreement": sum(x == y for x, y in zip(stance_a, stance_b)) / len(a),
        "stance_counts": {"a": Counter(stance_a), "b": Counter(stance_b)},
        "disagreements": disagreements,
    }


def compare_passes(dir_a: Path, dir_b: Path) -> dict:
    """Agreement over the documents present in both folders."""
    docs = {d.doc_id: d for d in load_corpus()}
    a, b, shared = [], [], []
    for path in sorted(dir_b.glob("[0-9][0-9][0-9].yaml")):
        if (dir_a / path.name).exists():
            shared.append(path.stem)
            a += read_sheet(dir_a / path.name, docs[path.stem])
            b += read_sheet(path, docs[path.stem])
    return {"documents": shared, **compare(a, b)}


def _run(args: argparse.Namespace) -> int:
    res = compare_passes(Path(args.pass_a), Path(args.pass_b))
    print(f"documents {', '.join(res['documents'])}: {res['sentences']} sentences")
    print(f"{'type':<7}{'A':>5}{'B':>5}{'both':>6}{'F1':>8}")
    for t, r in [*res["per_type"].items(), ("micro", res["micro"])]:
        if r["a"] or r["b"]:
            print(f"{t:<7}{r['a']:>5}{r['b']:>5}{r['both']:>6}{r['f1']:>8.3f}")
    print(f"stance: agreement {res['stance_agreement']:.3f}, Cohen's kappa {res['stance_kappa']:.3f}")
    if args.disagreements:
        for d in res["disagreements"]:
            print(f"- {d['sentence_id']}: stance {d['stance'][0]}/{d['stance'][1]}; only A {d['only_a']}; only B {d['only_b']}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("agreement", help="agreement between two annotation passes (sheets)")
    p.add_argument("pass_a", help="folder of the first pass's sheets")
    p.add_argument("pass_b", help="folder of the second pass's sheets")
    p.add_argument("--disagreements", action="store_true", help="list every disagreement")
    p.set_defaults(func=_run)

"""``vietlao stats``: the documents, verified, with their figures or their sentences."""

from __future__ import annotations

import argparse

from vietlao.corpus.documents import corpus_statistics, load_corpus
from vietlao.corpus.metadata import CorpusError


def _run_stats(args: argparse.Namespace) -> int:
    documents = load_corpus()
    if args.sentences:
        wanted = set(args.sentences)
        unknown = sorted(wanted - {d.doc_id for d in documents})
        if unknown:
            known = ", ".join(d.doc_id for d in documents)
            raise CorpusError(f"no document {', '.join(unknown)} in the metadata; documents: {known}")
        for d in documents:
            if d.doc_id in wanted:
                for i, s in enumerate(d.sentences):
                    print(f"{d.sentence_id(i)}\t{s.start}\t{s.end}\t{len(s.tokens)}\t{s.text}")
        return 0
    rows = corpus_statistics(documents)
    print(f"{'doc':<5}{'lang':<6}{'characters':>11}{'sentences':>11}{'tokens':>9}")
    for r in rows:
        print(f"{r['doc_id']:<5}{r['lang']:<6}{r['characters']:>11}{r['sentences']:>11}{r['tokens']:>9}")
    total = {k: sum(r[k] for r in rows) for k in ("characters", "sentences", "tokens")}
    print(f"{'all':<11}{total['characters']:>11}{total['sentences']:>11}{total['tokens']:>9}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "stats", help="verify the documents and print per-document statistics (or a document's sentences)"
    )
    p.add_argument(
        "--sentences", nargs="+", metavar="DOC",
        help="print the sentences of these documents instead: sentence id, start, end, tokens, text (tab-separated)",
    )
    p.set_defaults(func=_run_stats)

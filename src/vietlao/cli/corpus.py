"""``vietlao stats``: the documents and the inventory, verified; the documents' figures, sentences or tokens."""

from __future__ import annotations

import argparse

from vietlao.corpus.documents import corpus_statistics, load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.corpus.metadata import CorpusError
from vietlao.paths import project


def _wanted(documents, ids: list[str]):
    unknown = sorted(set(ids) - {d.doc_id for d in documents})
    if unknown:
        known = ", ".join(d.doc_id for d in documents)
        raise CorpusError(f"no document {', '.join(unknown)} in the metadata; documents: {known}")
    return [d for d in documents if d.doc_id in set(ids)]


def _run_stats(args: argparse.Namespace) -> int:
    documents = load_corpus()
    if project().inventory.is_file():
        load_inventory()
    if args.sentences:
        for d in _wanted(documents, args.sentences):
            for i, s in enumerate(d.sentences):
                print(f"{d.sentence_id(i)}\t{s.start}\t{s.end}\t{len(s.tokens)}\t{s.text}")
        return 0
    if args.tokens:
        for d in _wanted(documents, args.tokens):
            for i, s in enumerate(d.sentences):
                tokens = " ".join(f"{t.text}[{t.start - s.start}:{t.end - s.start}]" for t in s.tokens)
                print(f"{d.sentence_id(i)}\t{tokens}")
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
        "stats", help="verify the documents, their metadata and the inventory; print per-document statistics "
                 "(or a document's sentences or tokens)"
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--sentences", nargs="+", metavar="DOC",
        help="print the sentences of these documents instead: sentence id, start, end, tokens, text (tab-separated)",
    )
    what.add_argument(
        "--tokens", nargs="+", metavar="DOC",
        help="print each sentence's tokens instead: sentence id, then every token as TEXT[START:END] with "
             "sentence-relative offsets (the dataset's token_offsets), space-separated",
    )
    p.set_defaults(func=_run_stats)

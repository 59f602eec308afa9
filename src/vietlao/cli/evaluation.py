"""``vietlao evaluate``: the command line of the scorer (:mod:`vietlao.evaluation.evaluate`)."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from vietlao.corpus.metadata import LANGUAGES
from vietlao.evaluation.comparison import compare, format_comparison
from vietlao.evaluation.evaluate import (
    SCHEMES, SPLITS, TAGSETS, TASKS, UNITS, evaluate, format_summary,
)
from vietlao.evaluation.predictions import CLASS_NAMES
from vietlao.files import atomic_write, check_input, check_output, given



def _mapping(title: str, column: str) -> str:
    pairs = ", ".join(f"{i}={name}" for i, name in enumerate(CLASS_NAMES[column]))
    return textwrap.fill(pairs, width=98, initial_indent=f"  {title:<16}", subsequent_indent=" " * 18)


DESCRIPTION = f"""\
Score a predictions file against the gold dataset. One JSON object per line (JSON Lines, UTF-8),
one line for every sentence of the scored split, joined to the gold by the sentence "id".

  NER, tags (one IOB2 tag per token of the row's "tokens"; the same form on every line):
    {{"id": "000-003", "ner_tags": ["O", "O", "O", "B-PER", "I-PER", "O", ...]}}
  NER, spans (half-open [start, end) code-point offsets into the row's "text"):
    {{"id": "000-003", "entities": [{{"start": 29, "end": 35, "label": "PER"}}]}}
  stance:
    {{"id": "000-003", "label": "favor"}}
  entity linking (--task linking; one line per mention of the "linking" config, id "<sentence>:<start>-<end>"):
    {{"id": "000-000:201-208", "entity_id": "vietnam", "candidates": ["vietnam", "laos"]}}
  NER + linking (--task ner+linking): the "entities" form, each entity with its "entity_id" (or null)

Labels are names or the dataset's own ClassLabel integers (what load_dataset returns):
{_mapping("ner_tags", "ner_tags")}
                  (integer tags need --tagset: fine for ids of ner_tags, coarse for ids of ner_tags_coarse:)
{_mapping("ner_tags_coarse", "ner_tags_coarse")}
{_mapping("entity labels", "entities.label")}
{_mapping("stance labels", "label")}
"""

EPILOG = """\
examples:
  vietlao evaluate --task ner --predictions my_ner.jsonl                # the test split
  vietlao evaluate --task ner --predictions my_ner.jsonl --tagset coarse --scheme conlleval
  vietlao evaluate --task ner --predictions my_vi.jsonl --split all --lang vi
  vietlao evaluate --task stance --predictions my_stance.jsonl --output scores.json
  vietlao evaluate --task stance --predictions my_stance.jsonl --split all --compare e5-lr   # against a baseline
  vietlao evaluate --task ner --predictions a.jsonl --compare b.jsonl                        # against another file

Every problem of a file (missing, repeated or unknown ids; wrong tag counts; unknown labels) is
listed at once; exit status 1. The scores, their definitions and a runnable example:
benchmarks/README.md ("Quick start: score your model").
"""


def _run(args: argparse.Namespace) -> int:
    langs = [x.strip() for x in args.lang.split(",") if x.strip()] if args.lang else None
    predictions_given = given(args.predictions, "--predictions")
    assert predictions_given is not None  # --predictions is required
    predictions = check_input(predictions_given, "predictions")
    dataset = given(args.dataset, "--dataset")
    output = given(args.output, "--output")
    if output is not None:  # checked before the scoring: a refused path costs nothing
        output = check_output(output, "--output", inputs=[predictions])
    other = None
    if args.compare:
        from vietlao.benchmark.reproduce import committed_predictions

        other = Path(args.compare) if Path(args.compare).is_file() else committed_predictions(
            args.compare, args.task, args.split, langs)
    result = evaluate(
        args.task, predictions, args.split, tagset=args.tagset, scheme=args.scheme, langs=langs,
        dataset_dir=dataset, n_boot=args.bootstrap, seed=args.seed, unit=args.unit, seen_in=args.seen_in,
    )
    if other is not None:
        result["comparison"] = compare(
            args.task, predictions, other, args.split, tagset=args.tagset, scheme=args.scheme, langs=langs,
            dataset_dir=dataset, n_boot=args.bootstrap, seed=args.seed, unit=args.unit,
        )
    if output is not None:  # written in full or not at all
        atomic_write(output, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(format_summary(result))
    if other is not None:
        print("\n" + format_comparison(result["comparison"]))
    if output is not None:
        print(f"scores written to {args.output}")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help="score a predictions JSONL file against the gold dataset",
        description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--task", required=True, choices=TASKS,
                   help="ner (entities, from tags or spans), stance (one label per sentence), linking "
                   "(an entity ID per gold mention) or ner+linking (entities with IDs)")
    p.add_argument("--predictions", required=True, metavar="FILE",
                   help="JSON Lines, one object per sentence, joined by id (formats above)")
    p.add_argument("--split", default="test",
                   help=f"{', '.join(SPLITS)}, a comma list, or all (default: %(default)s)")
    p.add_argument("--lang", help=f"only these languages: a comma list of codes among {', '.join(LANGUAGES)}, "
                   "those the dataset holds (a language outside the chosen split: use --split)")
    p.add_argument("--tagset", default=None, choices=TAGSETS,
                   help="fine: PER ORG GPE LOC EVENT DATE MONEY MISC; coarse: CoNLL PER ORG LOC MISC "
                   "(GPE→LOC, EVENT→MISC, DATE and MONEY dropped) (default: fine); integer ner_tags are ids "
                   "of this tag set's list (ner_tags or ner_tags_coarse) and need it given")
    p.add_argument("--scheme", default="iob2", choices=SCHEMES,
                   help="how tags are chunked: iob2 = strict IOB2 as seqeval mode='strict' (an I- tag "
                   "that continues no chunk of its type is no entity); conlleval = as conlleval.pl "
                   "(such an I- tag starts an entity) (default: %(default)s)")
    p.add_argument("--output", metavar="FILE", help="also write every score as JSON here (a file outside the "
                   "project's annotations/, dataset/, benchmarks/results/ and card; replaced atomically)")
    p.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap resamples for the 95%% CIs (default: %(default)s; 0: no CIs)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    p.add_argument("--unit", default="sentence", choices=UNITS,
                   help="what the bootstrap resamples (default: %(default)s)")
    p.add_argument("--dataset", default=None, metavar="DIR",
                   help="dataset folder (default: dataset/ of the project root, see vietlao --root)")
    p.add_argument("--seen-in", help="linking: what the system trained on, for seen/unseen entities: splits "
                   "(train,validation), other-documents, or lang:vi (default: the splits not scored; "
                   "other-documents when all are)")
    p.add_argument("--compare", metavar="FILE|BASELINE",
                   help="also compare with another predictions file, or with a benchmark baseline's committed "
                   "predictions on the same gold (NAME, or NAME@PROTOCOL): the difference of every metric "
                   "with its paired-bootstrap CI and p-values (paired bootstrap, approximate randomization)")
    p.set_defaults(func=_run)

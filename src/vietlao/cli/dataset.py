"""``vietlao build``: argparse wiring for building ``dataset/`` and the card's generated sections."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from vietlao.corpus.inventory import load_inventory
from vietlao.dataset.build import checksums, run_build
from vietlao.files import check_input, given
from vietlao.label_config import render_label_config, write_label_config
from vietlao.paths import project


def _run(args: argparse.Namespace) -> int:
    # the card's agreement block is the evaluation stage's (the scorer and Cohen's kappa)
    from vietlao.evaluation.agreement import card_block

    export, output = given(args.export, "--export"), given(args.output, "--output")
    if export is not None:
        check_input(export, "--export")
    out = run_build(export, output, card_blocks={"agreement": card_block()})
    for name, digest in checksums(out).items():
        print(f"{digest[:16]}  {name}")
    own = out == Path(os.path.realpath(project().dataset))
    print(f"built {out}" + ("" if own else f" (its card is {out / 'README.md'}; {project().card.name} left as it is)"))
    # the labelling config's entity picker lists the inventory: keep the generated file current
    if own and write_label_config(render_label_config(load_inventory())):
        print(f"{project().label_config}: regenerated from the inventory")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("build", help="build dataset/ (Arrow + card) from the export and documents")
    p.add_argument("--export", default=None, help="Label Studio JSON export (default: annotations/export.json)")
    p.add_argument("--output", default=None,
                   help="dataset folder (default: dataset); an existing folder must be a previous build holding "
                   "nothing else. The card goes into its README.md; DATASET_CARD.md and "
                   "annotations/label_config.xml are refreshed only by a build of dataset/")
    p.set_defaults(func=_run)

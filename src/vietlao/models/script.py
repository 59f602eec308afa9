"""Every baseline as a script: ``python -m vietlao.models.<module> --train SPLITS --test SPLITS --out FILE``
trains it, predicts and writes the predictions file the scorer reads."""

from __future__ import annotations

import argparse

from vietlao.evaluation.evaluate import load_gold, write_predictions
from vietlao.models.interface import checked, uses_kb
from vietlao.models.linking_common import knowledge_base


def script_main(module: object, argv: list[str] | None = None) -> int:
    """Parse ``argv``, train the baseline ``module`` on ``--train``, predict ``--test`` (with the
    dataset's knowledge base when it uses one) and write ``--out``."""
    baseline = checked(module)
    p = argparse.ArgumentParser(description=f"train the {baseline.NAME} baseline and write its predictions (JSONL)")
    p.add_argument("--train", default="train,validation", help="split(s) to train on (default: %(default)s)")
    p.add_argument("--test", default="test", help="split(s) to predict (default: %(default)s)")
    p.add_argument("--out", required=True, help="predictions file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dataset", default=None, help="dataset folder (default: dataset in the project root)")
    args = p.parse_args(argv)
    train = load_gold(baseline.TASK, args.train, args.dataset)
    test = load_gold(baseline.TASK, args.test, args.dataset)
    kwargs = {"kb": knowledge_base(args.dataset)} if uses_kb(baseline) else {}
    path = write_predictions(args.out, baseline.predict(train, test, seed=args.seed, **kwargs))
    print(f"{len(test)} predictions written to {path}")
    return 0

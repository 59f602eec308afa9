"""``vietlao publish``: argparse wiring for the dry run of publishing the dataset to the Hub."""

from __future__ import annotations

import argparse
from pathlib import Path

from vietlao.errors import UserError
from vietlao.paths import project
from vietlao.publish.dry_run import TOKEN_ENV, upload_token, write_dry_run
from vietlao.tables import markdown_table


def _run(args: argparse.Namespace) -> int:
    token = upload_token(args.upload is not None)  # before anything is written; never printed
    dataset = Path(args.dataset) if args.dataset else project().dataset
    target = Path(args.dry_run)
    files = write_dry_run(dataset, target)
    print(markdown_table(["file", "bytes"], [*files, ["total", sum(size for _, size in files)]]))
    print(f"\n{target}: the folder that would be uploaded, checked (card, configs, Parquet copy, Croissant); "
          "nothing was sent")
    if token is not None:
        raise UserError(f"uploading to {args.upload} is not implemented; upload {target} as README.md describes")
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "publish", help="write and check the folder that would be uploaded to the Hub (no network)",
        description="Copy the built dataset's published files (card, Arrow data, Parquet copy, croissant.json, "
                    "licence notes) into a new folder, check it offline as the Hub and a Croissant reader would, "
                    "and list what would be sent.")
    p.add_argument("--dry-run", metavar="DIR", required=True, help="the new folder to write (must not exist or be empty)")
    p.add_argument("--dataset", metavar="DIR", default=None, help="the built dataset (default: dataset)")
    p.add_argument("--upload", metavar="REPO_ID", default=None,
                   help=f"also upload to this Hub dataset repository (needs ${TOKEN_ENV}; not implemented yet)")
    p.set_defaults(func=_run)

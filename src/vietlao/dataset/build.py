"""Validated export + documents -> ``dataset/``: Arrow IPC stream files per config and split.

The build is atomic: everything is written to a sibling temporary folder that replaces
``dataset/`` only when complete; the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from pathlib import Path

from vietlao.corpus.documents import Document, load_corpus
from vietlao.corpus.inventory import load_inventory
from vietlao.dataset.batches import write_sentence_configs
from vietlao.dataset.linking import write_linking
from vietlao.dataset.layout import PARQUET_DIR, data_files, name_by_content
from vietlao.dataset.parquet import write_parquet_copy
from vietlao.dataset.card import LICENCE_FILE, CardMetadata, card_sections, render_dataset_readme, update_card, write_card
from vietlao.dataset.croissant import CROISSANT_FILE, croissant, licence_notes, write_croissant
from vietlao.errors import UserError, shown
from vietlao.export.validate import validate_gold
from vietlao.files import atomic_folder, check_output as check_output_path
from vietlao.corpus.metadata import CorpusLayout
from vietlao.export.task import SentenceRecord
from vietlao.dataset.rows import (
    ARROW_SCHEMAS,
    INVENTORY_SPLIT,
    arrow_schema,
    document_row,
    entities_spec,
    entity_rows,
    write_rows,
)
from vietlao.labels import SPLITS
from vietlao.paths import project


CONFIGS = ("ner", "stance", "documents", "entities", "linking")


def build_dataset(records: list[SentenceRecord], documents: list[Document], inventory: dict, out_dir: Path) -> None:
    """Write every config of the gold dataset into ``out_dir`` (which must not exist)."""
    records = sorted(records, key=lambda r: r.sentence_id)
    layout = CorpusLayout(tuple(d.meta for d in documents))
    split_of, fold_of = layout.split_of, layout.fold_of
    write_sentence_configs(iter(records), out_dir, split_of.__getitem__, fold_of.__getitem__)
    by_doc = defaultdict(list)
    for r in records:
        by_doc[r.doc_id].append(r)
    for split in SPLITS:
        rows = [document_row(d, by_doc[d.doc_id], fold_of[d.doc_id])
                for d in documents if split_of[d.doc_id] == split]
        write_rows(rows, out_dir / "data" / "documents" / f"{split}.arrow", ARROW_SCHEMAS["documents"])
    write_rows(entity_rows(records, inventory, layout.languages),
               out_dir / "data" / "entities" / f"{INVENTORY_SPLIT}.arrow", arrow_schema(entities_spec(layout.languages)))
    write_linking(records, out_dir, split_of.__getitem__, fold_of.__getitem__)
    write_parquet_copy(out_dir)
    name_by_content(out_dir)


def checksums(directory: Path) -> dict[str, str]:
    """sha256 of every Arrow file, by path relative to ``directory``."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*.arrow"))
    }


#: What ``README.md`` of a built dataset holds (the card's generated blocks): an existing output
#: folder is replaced only if it is a previous build (or empty).
BUILD_MARK = "<!-- generated:"
#: The files a build writes: ``README.md``, ``croissant.json``, ``LICENCE.md``,
#: ``data/<config>/<split>-<16 hex>.arrow`` and their Parquet copies under ``parquet/``.
_BUILT = re.compile("|".join([
    *(re.escape(name) for name in ("README.md", CROISSANT_FILE, LICENCE_FILE)),
    rf"(?:data|{PARQUET_DIR})(?:/[a-z]+)?",
    r"data/[a-z]+/[a-z]+-[0-9a-f]{16}\.arrow",
    rf"{PARQUET_DIR}/[a-z]+/[a-z]+-[0-9a-f]{{16}}\.parquet",
]))


def is_previous_build(folder: Path) -> bool:
    readme = folder / "README.md"
    return (folder / "data").is_dir() and readme.is_file() and BUILD_MARK in readme.read_text(encoding="utf-8", errors="replace")


def foreign_files(folder: Path) -> list[str]:
    """What a previous build in ``folder`` holds that no build writes (the user's own files)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if not _BUILT.fullmatch(p.relative_to(folder).as_posix()) or p.is_symlink())


def check_output(out_dir: Path) -> None:
    """Refuse an output that is not a folder this build may replace: a file, a folder that is
    neither empty nor a previous build, or a previous build holding files the build did not write
    (a rebuild would delete them)."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UserError(f"{shown(out_dir)} exists and is not a folder; choose another --output")
    if any(out_dir.iterdir()) and not is_previous_build(out_dir):
        raise UserError(f"{shown(out_dir)} is not a previous build of the dataset (no data/ and generated README.md); "
                        "refusing to replace it: choose a new or empty folder")
    foreign = foreign_files(out_dir)
    if foreign:
        listed = ", ".join(shown(f, 60) for f in foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserError(f"{shown(out_dir)} is a previous build that also holds files a build does not write ({listed}); "
                        "a rebuild would delete them: move them out of it, or choose another --output")


def write_metadata_files(directory: Path, card: str, card_file: Path, metas, inventory: dict,
                         meta: CardMetadata) -> None:
    """``croissant.json`` and ``LICENCE.md`` of a built dataset, beside its data."""
    write_croissant(croissant(directory, card_file, card, metas, inventory, meta), directory / CROISSANT_FILE)
    licence = card_sections(card).get("Licence", "")
    (directory / LICENCE_FILE).write_text(licence_notes(metas, meta, licence), encoding="utf-8")


def run_build(export: Path | None = None, out_dir: Path | None = None, card_file: Path | None = None,
              card_blocks: dict[str, str] | None = None) -> Path:
    """Validate the export, build into a temporary folder, render the card (with ``card_blocks``
    rendered by later stages), swap into place (defaults: the project's ``annotations/export.json``
    and ``dataset/``). An existing ``out_dir`` must be a previous build (or empty); missing parents
    are created.

    The card goes with the build, as its ``README.md``. ``card_file`` (default: the project's
    ``DATASET_CARD.md``) is its template; it is rewritten only when given, or when the build is the
    project's own ``dataset/`` (which the card describes): a build into another folder leaves the
    project's card as it is."""
    own = out_dir is None or os.path.realpath(out_dir) == os.path.realpath(project().dataset)
    template = card_file or project().card
    export = export or project().export
    out_dir = check_output_path(out_dir or project().dataset, "--output", allowed=[project().dataset], folder=True)
    records = validate_gold(export)  # raises ExportError: nothing written
    check_output(out_dir)
    documents = load_corpus()
    inventory = load_inventory()
    with atomic_folder(out_dir) as tmp:
        build_dataset(records, documents, inventory, tmp)
        card = update_card(records, checksums(tmp), export, template, card_blocks)
        metas = [d.meta for d in documents]
        languages = CorpusLayout(tuple(metas)).languages
        (tmp / "README.md").write_text(render_dataset_readme(card, data_files(tmp), languages), encoding="utf-8")
        write_metadata_files(tmp, card, template, metas, inventory, CardMetadata(language=tuple(languages)))
    if card_file is not None or own:
        write_card(card, template)
    return out_dir

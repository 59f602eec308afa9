"""Croissant metadata (``croissant.json``) of a built dataset, as JSON-LD written with plain dicts.

Croissant 1.1 (https://mlcommons.org/croissant/1.1) with the Responsible-AI vocabulary
(http://mlcommons.org/croissant/RAI/1.0), from the same sources as the card:

* one ``RecordSet`` per config, its fields generated from the Hugging Face features stored in the
  built files' Arrow schema (so a column added to a config is described without a change here):
  ``Value`` -> an atomic ``dataType``; ``ClassLabel`` -> ``sc:Integer`` and ``cr:Label``, referencing
  an ``sc:Enumeration`` record set of its names (index, name); ``List`` -> ``isArray`` with its
  ``arrayShape``; a dict of features -> ``subField`` read by ``jsonPath``; a ``split`` field read
  from the file name, referencing the ``cr:Split`` record set;
* the ``linking`` table's ``entity_id`` references the ``entities`` table (its key), and knowledge-base
  columns of ``entities`` are mapped to ``sc:sameAs``;
* a ``FileObject`` with sha256 for every data file (the Parquet copy, ``sameAs`` its Arrow file), and a
  ``FileSet`` per config that the record sets read: ``mlcroissant`` reads Parquet, not Arrow streams;
* the licence as the card states it (annotations CC BY 4.0, no licence for the texts), per document in
  ``isBasedOn``; the RAI fields from the card's sections (collection, annotation, annotators, limits).

``mlcroissant`` is not needed here: it validates and loads the file in the tests and in
``vietlao publish`` (:mod:`vietlao.publish`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from vietlao.corpus.inventory import CanonicalEntity
from vietlao.corpus.metadata import LANGUAGE_NAMES, DocumentMeta
from vietlao.dataset.card import LICENCE_FILE, CardMetadata, card_bullets, card_sections
from vietlao.dataset.layout import DATA_GLOBS, data_files
from vietlao.errors import UserError
from vietlao.labels import (
    ENTITY_TYPES,
    NER_TAGS,
    NER_TAGS_COARSE,
    SPLITS,
    STANCE_LABELS,
)

CROISSANT_FILE = "croissant.json"
CONFORMS_TO = ["http://mlcommons.org/croissant/1.1", "http://mlcommons.org/croissant/RAI/1.0"]
PARQUET_FORMAT = "application/x-parquet"
ARROW_FORMAT = "application/vnd.apache.arrow.stream"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"

#: The JSON-LD context of Croissant 1.1 (as mlcroissant 1.1 writes it), with the RAI and Wikidata prefixes.
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "arrayShape": "cr:arrayShape", "citeAs": "cr:citeAs", "column": "cr:column", "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isArray": "cr:isArray", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path",
    "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated",
    "replace": "cr:replace", "samplingRate": "cr:samplingRate", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}

_VALUE_TYPES = {
    "string": "sc:Text", "large_string": "sc:Text", "bool": "sc:Boolean",
    "int8": "cr:Int8", "int16": "cr:Int16", "int32": "cr:Int32", "int64": "cr:Int64",
    "float32": "cr:Float32", "float64": "cr:Float64",
}
#: Names of the label vocabularies' enumerations; another ClassLabel gets ``<config>-<field>``.
_ENUMERATIONS = {ENTITY_TYPES: "entity-types", NER_TAGS: "ner-tags", NER_TAGS_COARSE: "ner-tags-coarse",
                 STANCE_LABELS: "stance-labels"}
_SPLIT_URLS = {"train": "cr:TrainingSplit", "validation": "cr:ValidationSplit", "test": "cr:TestSplit"}
#: Columns of the ``entities`` config holding a knowledge-base link (the inventory's fields).
KB_COLUMNS = {
    "wikidata": "the Wikidata item ID (QID) of the entity, https://www.wikidata.org/wiki/<QID>",
    "qid": "the Wikidata item ID (QID) of the entity, https://www.wikidata.org/wiki/<QID>",
    "enwiki": "the title of the entity's English Wikipedia article",
    "wikipedia": "the title of the entity's English Wikipedia article",
}
#: The config whose rows are the knowledge base, and the columns that refer to its key.
KB_CONFIG, KB_KEY = "entities", "entity_id"
SPLIT_FIELD = "split"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def features_of(parquet_file: Path) -> dict:
    """The Hugging Face features (``Features.to_dict()`` form) stored in a built file's schema."""
    metadata = pq.read_schema(parquet_file).metadata or {}
    if b"huggingface" not in metadata:
        raise UserError(f"{parquet_file}: no Hugging Face features in its schema; rebuild with `vietlao build`")
    return json.loads(metadata[b"huggingface"])["info"]["features"]


class _Fields:
    """Turns one config's features into Croissant fields, collecting the enumerations they use."""

    def __init__(self, config: str, file_set: str, enumerations: dict[str, dict]):
        self.config, self.file_set, self.enumerations = config, file_set, enumerations

    def source(self, column: str, path: tuple[str, ...]) -> dict:
        src: dict = {"fileSet": {"@id": self.file_set}, "extract": {"column": column}}
        if path:
            src["transform"] = [{"jsonPath": p} for p in path] if len(path) > 1 else {"jsonPath": path[0]}
        return src

    def field(self, field_id: str, feature: dict, column: str, path: tuple[str, ...] = ()) -> dict:
        out: dict = {"@type": "cr:Field", "@id": field_id, "name": field_id.rsplit("/", 1)[1]}
        shape: list[str] = []
        while feature.get("_type") in ("List", "Sequence", "LargeList"):
            shape.append(str(feature.get("length", -1)))
            feature = feature["feature"]
        kind = feature.get("_type")
        if kind is None:  # a dict of features
            out["subField"] = [self.field(f"{field_id}/{name}", sub, column, path + (name,))
                               for name, sub in feature.items()]
        elif kind == "Value":
            if feature["dtype"] not in _VALUE_TYPES:
                raise UserError(f"{self.config}.{column}: no Croissant type for dtype {feature['dtype']!r}")
            out["dataType"] = _VALUE_TYPES[feature["dtype"]]
            out["source"] = self.source(column, path)
        elif kind == "ClassLabel":
            names = tuple(feature["names"])
            enum = _ENUMERATIONS.get(names) or f"{self.config}-{field_id.rsplit('/', 1)[1]}-labels"
            self.enumerations.setdefault(enum, _enumeration(enum, names))
            out["dataType"] = ["sc:Integer", "cr:Label"]
            out["description"] = f"class index into `{enum}`: " + ", ".join(f"{i} {n}" for i, n in enumerate(names))
            out["source"] = self.source(column, path)
            out["references"] = {"field": {"@id": f"{enum}/index"}}
        else:
            raise UserError(f"{self.config}.{column}: no Croissant field for feature type {kind!r}")
        if shape:
            out["isArray"] = True
            out["arrayShape"] = ",".join(shape)
        return out


def _enumeration(name: str, names: Sequence[str]) -> dict:
    return {
        "@type": "cr:RecordSet", "@id": name, "name": name, "dataType": "sc:Enumeration",
        "description": f"The classes of a ClassLabel: index and name ({len(names)}).",
        "key": {"@id": f"{name}/index"},
        "field": [{"@type": "cr:Field", "@id": f"{name}/index", "name": "index", "dataType": "sc:Integer"},
                  {"@type": "cr:Field", "@id": f"{name}/name", "name": "name", "dataType": "sc:Text"}],
        "data": [{f"{name}/index": i, f"{name}/name": n} for i, n in enumerate(names)],
    }


def _splits_record_set(splits: Sequence[str]) -> dict:
    return {
        "@type": "cr:RecordSet", "@id": "splits", "name": "splits", "dataType": "cr:Split",
        "description": "The splits of the configs (by document); `inventory` is the whole `entities` table.",
        "key": {"@id": "splits/name"},
        "field": [{"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text"},
                  {"@type": "cr:Field", "@id": "splits/url", "name": "url", "dataType": "sc:URL"}],
        "data": [{"splits/name": s, "splits/url": _SPLIT_URLS.get(s)} for s in splits],
    }


def split_pattern(config: str, splits: Sequence[str]) -> str:
    """The regex that reads the split from a Parquet file's path (``parquet/<config>/<split>-<hash>``);
    it also matches the bare split name, which ``mlcroissant`` gives it again after a join."""
    return rf"^(?:.*/)?({'|'.join(map(re.escape, splits))})(?:-[0-9a-f]{{16}}\.parquet)?$"


def record_sets(directory: Path, files: dict[str, dict[str, str]], descriptions: dict[str, str]) -> tuple[list, list]:
    """``(file sets, record sets)``: one of each per config of ``files`` (config -> split -> Parquet
    file), then the enumerations and the splits."""
    enumerations: dict[str, dict] = {}
    file_sets, sets = [], []
    all_splits = sorted({s for splits in files.values() for s in splits},
                        key=lambda s: (SPLITS.index(s) if s in SPLITS else len(SPLITS), s))
    for config, by_split in files.items():
        file_set = f"parquet-{config}"
        folder = str(Path(next(iter(by_split.values()))).parent)
        file_sets.append({"@type": "cr:FileSet", "@id": file_set, "name": file_set,
                          "description": f"The Parquet files of the `{config}` config, one per split.",
                          "encodingFormat": PARQUET_FORMAT, "includes": f"{folder}/*.parquet"})
        features = features_of(directory / next(iter(by_split.values())))
        if SPLIT_FIELD in features:
            raise UserError(f"config {config} has a column named {SPLIT_FIELD!r}, which Croissant uses for the split")
        make = _Fields(config, file_set, enumerations)
        fields = [{
            "@type": "cr:Field", "@id": f"{config}/{SPLIT_FIELD}", "name": SPLIT_FIELD, "dataType": "sc:Text",
            "description": "the split (not a column of the data: read from the file name)",
            "source": {"fileSet": {"@id": file_set}, "extract": {"fileProperty": "fullpath"},
                       "transform": {"regex": split_pattern(config, list(by_split))}},
            "references": {"field": {"@id": "splits/name"}},
        }]
        for column, feature in features.items():
            field = make.field(f"{config}/{column}", feature, column)
            if config == KB_CONFIG and column in KB_COLUMNS:
                field["equivalentProperty"] = "sc:sameAs"
                field["description"] = KB_COLUMNS[column]
            if config != KB_CONFIG and column == KB_KEY and KB_CONFIG in files:
                field["references"] = {"field": {"@id": f"{KB_CONFIG}/{KB_KEY}"}}
                field["description"] = f"the `{KB_CONFIG}` row this mention refers to (its `{KB_KEY}`)"
            fields.append(field)
        record_set: dict[str, Any] = {"@type": "cr:RecordSet", "@id": config, "name": config,
                      "description": descriptions.get(config, f"The `{config}` config."), "field": fields}
        if config == KB_CONFIG and KB_KEY in features:
            record_set["key"] = {"@id": f"{config}/{KB_KEY}"}
        sets.append(record_set)
    return file_sets, sets + list(enumerations.values()) + [_splits_record_set(all_splits)]


def file_objects(directory: Path, parquet: dict[str, dict[str, str]], arrow: dict[str, dict[str, str]]) -> list[dict]:
    """A ``FileObject`` with sha256 and size for every Arrow file and its Parquet copy."""
    out = []
    for config, by_split in arrow.items():
        for split, path in by_split.items():
            out.append({"@type": "cr:FileObject", "@id": path, "name": Path(path).name,
                        "description": f"`{config}` {split}: Arrow IPC stream, as the card's `data_files` load it",
                        "contentUrl": path, "contentSize": f"{(directory / path).stat().st_size} B",
                        "encodingFormat": ARROW_FORMAT, "sha256": _sha256(directory / path)})
            copy = parquet[config][split]
            out.append({"@type": "cr:FileObject", "@id": copy, "name": Path(copy).name,
                        "description": f"`{config}` {split}: the same table as Parquet",
                        "contentUrl": copy, "contentSize": f"{(directory / copy).stat().st_size} B",
                        "encodingFormat": PARQUET_FORMAT, "sha256": _sha256(directory / copy), "sameAs": path})
    return out


def _section(sections: dict[str, str], heading: str, card: Path) -> str:
    if heading not in sections:
        raise UserError(f"{card}: no section {heading!r}, which the Croissant metadata is made from")
    return sections[heading]


def _bullet(bullets: list[str], title: str, card: Path) -> str:
    found = [b for b in bullets if b.startswith(f"**{title}")]
    if not found:
        raise UserError(f"{card}: no bullet **{title}** in the section the Croissant metadata reads it from")
    return found[0]


def document_sources(metas: Sequence[DocumentMeta], meta: CardMetadata) -> list[dict]:
    """Per document, where the text comes from and its licence situation, as the card states it."""
    out = []
    for m in metas:
        work: dict = {"@type": "sc:CreativeWork", "name": f"document {m.doc_id} ({LANGUAGE_NAMES[m.lang]})",
                      "inLanguage": m.lang, "creditText": m.outlet or "not stated",
                      "copyrightNotice": f"Copyright of the text stays with {'its outlet' if m.outlet else 'its unnamed outlet'}; "
                                         "no licence is granted for it (research use; for anything else, obtain the "
                                         "text from its source).",
                      "license": meta.license_name}
        if m.source_url:
            work["url"] = m.source_url
        if m.published:
            work["datePublished"] = m.published
        if m.is_translation:
            work["translationOfWork"] = {"@type": "sc:CreativeWork",
                                         "inLanguage": m.translated_from or "not stated"}
        out.append(work)
    return out


def licence_notes(metas: Sequence[DocumentMeta], meta: CardMetadata, licence_section: str) -> str:
    """``LICENCE.md`` of a built dataset: the card's Licence section and the situation per document."""
    rows = "\n".join(
        f"| {m.doc_id} | {m.lang} | {m.outlet or 'not stated'} | {m.source_url or 'not stated'} | no licence granted |"
        for m in metas)
    return (f"# Licence: {meta.license_name}\n\n{meta.license_details}\n\n{licence_section}\n\n"
            "## Per document\n\n| doc | lang | outlet (as the text credits it) | source | licence of the text |\n"
            f"|---|---|---|---|---|\n{rows}\n\nThe annotations of every document: CC BY 4.0 ({CC_BY_4}).\n")


def croissant(directory: Path, card_path: Path, card: str, metas: Sequence[DocumentMeta],
              inventory: dict[str, CanonicalEntity], meta: CardMetadata) -> dict:
    """The Croissant JSON-LD of the built dataset in ``directory`` (its Arrow files and their
    Parquet copy), from the card text (read from ``card_path``), the documents' metadata, the
    inventory and the card metadata."""
    sections = card_sections(card)
    labels = card_bullets(_section(sections, "How the labels were made", card_path))
    limits = card_bullets(_section(sections, "Intended uses and limits", card_path))
    changelog = re.search(r"^- \*\*(\d+\.\d+\.\d+)\*\*", _section(sections, "Changelog", card_path), re.MULTILINE)
    citation = re.search(r"```bibtex\n(.*?)```", _section(sections, "Citation", card_path), re.DOTALL)
    if changelog is None or citation is None:
        raise UserError(f"{card_path}: the Changelog needs a '- **X.Y.Z**' entry and the Citation a bibtex block")
    intro = card.split("\n## ", 1)[0].split("\n\n")[1].strip()
    entities = list(inventory.values())
    kb = {"wikidata": sum(bool(e.wikidata) for e in entities), "enwiki": sum(bool(e.enwiki) for e in entities),
          "lo": sum("lo" in e.names for e in entities)}
    descriptions = {
        "ner": "One row per sentence: tokens with IOB2 tags (fine and CoNLL-coarse) and the entity spans.",
        "stance": "One row per sentence: its stance toward the target.",
        "documents": "One row per document: the text verbatim, its metadata, entity spans and sentences.",
        "entities": f"The knowledge base: one row per canonical entity of the inventory ({len(entities)} entries; "
                    f"verified links in annotations/entities.yaml: {kb['wikidata']} Wikidata QIDs, "
                    f"{kb['enwiki']} English Wikipedia titles, {kb['lo']} Lao names).",
        "linking": "One row per linkable mention: its span, sentence and the `entities` row it refers to.",
    }
    arrow, parquet = data_files(directory), data_files(directory, DATA_GLOBS[1])
    file_sets, sets = record_sets(directory, parquet, descriptions)
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": meta.pretty_name,
        "description": intro,
        "version": changelog.group(1),
        "citeAs": citation.group(1).strip(),
        "license": [
            {"@type": "sc:CreativeWork", "name": "CC BY 4.0 (the annotations)", "url": CC_BY_4},
            {"@type": "sc:CreativeWork", "name": meta.license_name, "description": meta.license_details,
             "url": LICENCE_FILE},
        ],
        "usageInfo": _section(sections, "Licence", card_path),
        "inLanguage": list(meta.language),
        "keywords": [*meta.task_categories, *meta.tags],
        "isBasedOn": document_sources(metas, meta),
        "distribution": file_objects(directory, parquet, arrow) + file_sets,
        "recordSet": sets,
        "rai:dataCollection": _section(sections, "Sources and languages", card_path),
        "rai:dataCollectionType": ["found: news articles as published (see isBasedOn)"],
        "rai:dataAnnotationProtocol": [b for b in labels if not b.startswith(("**Who annotated", "**Label Studio",
                                                                             "**Pre-annotator"))],
        "rai:dataAnnotationPlatform": [_bullet(labels, "Label Studio", card_path)],
        "rai:dataAnnotationAnalysis": [_section(sections, "Agreement", card_path)],
        "rai:annotatorDemographics": [_bullet(labels, "Who annotated", card_path)],
        "rai:machineAnnotationTools": [_bullet(labels, "Pre-annotator", card_path)],
        "rai:dataUseCases": [b for b in limits if b.startswith("Intended")],
        "rai:dataLimitations": [b for b in limits if not b.startswith("Intended")],
    }


def write_croissant(document: dict, path: Path) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

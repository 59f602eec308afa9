"""A small dataset written for the tests (seven sentences, every language and type), laid out like
the real one with the build's own Arrow schemas: the scorer's, the benchmark's and the linking tests'
fixture. Not a test module: tests import it."""

from __future__ import annotations

from pathlib import Path

from vietlao.corpus.segment import tokenize
from vietlao.dataset.linking import mention_id
from vietlao.labels import COARSE_OF, ENTITY_TYPES, LINKABLE_TYPES, NER_TAGS, NER_TAGS_COARSE, STANCE_LABELS
from vietlao.spans import Span, spans_to_tags

ALIAS = ("gpe", "country_old")  # (current id, former id) in the fixture's knowledge base
LANGS = ("nb", "id", "vi", "ru")


def linking_configs(gold: list[dict], directory: Path) -> list[str]:
    """Write the ``linking`` config and the ``entities`` knowledge base of the ``ner`` gold rows
    (:func:`gold_rows`) into ``directory``; return their README ``configs`` lines."""
    from vietlao.dataset.rows import ARROW_SCHEMAS, arrow_schema, entities_spec, write_rows

    lines = ["- config_name: linking", "  data_files:"]
    for split in ("train", "validation", "test"):
        rows = [
            {"id": mention_id(r["id"], e["start"], e["end"]), "sentence_id": r["id"], "doc_id": r["doc_id"],
             "lang": r["lang"], "mention": e["text"], "start": e["start"], "end": e["end"],
             "doc_start": e["start"], "doc_end": e["end"], "type": ENTITY_TYPES.index(e["label"]),
             "context": r["text"], "entity_id": e["entity_id"], "fold": r["fold"]}
            for r in gold if r["split"] == split for e in r["entities"] if e["label"] in LINKABLE_TYPES
        ]
        write_rows(rows, directory / "data" / "linking" / f"{split}.arrow", ARROW_SCHEMAS["linking"])
        lines += [f"  - split: {split}", f"    path: data/linking/{split}.arrow"]
    ids = sorted({e["entity_id"] for r in gold for e in r["entities"] if e["label"] in LINKABLE_TYPES})
    entities = [
        {"entity_id": i, "type": ENTITY_TYPES.index(i.upper()), "name": i.upper(), "forms": {x: [] for x in LANGS},
         "mentions": 0, "mentions_per_lang": {x: 0 for x in LANGS}, "aliases": [ALIAS[1]] if i == ALIAS[0] else [],
         "wikidata": None, "wikidata_source": None, "enwiki": None, "enwiki_source": None, "names": []}
        for i in ids
    ]
    write_rows(entities, directory / "data" / "entities" / "train.arrow", arrow_schema(entities_spec(LANGS)))
    return lines + ["- config_name: entities", "  data_files:", "  - split: train",
                    "    path: data/entities/train.arrow"]


SENTENCES = [  # id, lang, text, [(surface, label)], stance
    ("000-000", "nb", "Statsminister Pham Minh Chinh besøkte Laos i januar .", [("Pham Minh Chinh", "PER"), ("Laos", "GPE"), ("januar", "DATE")], "favor"),
    ("000-001", "nb", "Vietnam og Laos signerte avtaler .", [("Vietnam", "GPE"), ("Laos", "GPE")], "favor"),
    ("001-000", "id", "Presiden Joko Widodo tidak hadir di Vientiane .", [("Joko Widodo", "PER"), ("Vientiane", "GPE")], "unrelated"),
    ("002-000", "vi", "Tô Lâm gặp Thongloun Sisoulith tại Hà Nội .", [("Tô Lâm", "PER"), ("Thongloun Sisoulith", "PER"), ("Hà Nội", "GPE")], "favor"),
    ("002-001", "vi", "Đảng Cộng sản Việt Nam chúc mừng .", [("Đảng Cộng sản Việt Nam", "ORG")], "neutral"),
    ("003-000", "ru", "Вьетнам и Лаос подписали соглашение на 5 млн долларов .", [("Вьетнам", "GPE"), ("Лаос", "GPE"), ("5 млн долларов", "MONEY")], "favor"),
    ("004-000", "vi", "Lào và Việt Nam tổ chức Năm Đoàn kết .", [("Lào", "GPE"), ("Việt Nam", "GPE"), ("Năm Đoàn kết", "EVENT")], "favor"),
]
SPLIT_OF_DOC = {"000": "test", "001": "test", "002": "train", "003": "validation", "004": "train"}


def _spans(text: str, mentions) -> list[Span]:
    out, pos = [], 0
    for surface, label in mentions:
        start = text.index(surface, pos)
        out.append(Span(start, start + len(surface), label))
        pos = start + len(surface)
    return out


def gold_rows() -> list[dict]:
    """Gold rows as ``load_gold`` returns them (labels as strings)."""
    rows = []
    for sid, lang, text, mentions, stance in SENTENCES:
        toks = tokenize(text)
        offsets = [(t.start, t.end) for t in toks]
        spans = _spans(text, mentions)
        coarse = [Span(s.start, s.end, COARSE_OF[s.label]) for s in spans if COARSE_OF[s.label]]
        doc = sid[:3]
        rows.append({
            "id": sid, "doc_id": doc, "lang": lang, "text": text, "target": "Vietnam–Laos relations",
            "tokens": [t.text for t in toks], "token_offsets": [list(o) for o in offsets],
            "ner_tags": spans_to_tags(offsets, spans), "ner_tags_coarse": spans_to_tags(offsets, coarse),
            "entities": [{"start": s.start, "end": s.end, "label": s.label, "text": text[s.start:s.end],
                          "entity_id": s.label.lower()} for s in spans],
            "label": stance, "fold": int(doc), "split": SPLIT_OF_DOC[doc],
        })
    return rows


def make_dataset(directory: Path) -> Path:
    """A small dataset folder laid out like the real one, written with the build's own features."""
    from vietlao.dataset.rows import ARROW_SCHEMAS, write_rows

    def encode(row: dict, config: str) -> dict:
        if config == "stance":
            keys = ("id", "doc_id", "lang", "target", "text", "label", "fold")
            return {**{k: row[k] for k in keys}, "label": STANCE_LABELS.index(row["label"])}
        keys = ("id", "doc_id", "lang", "text", "tokens", "token_offsets", "fold")
        return {
            **{k: row[k] for k in keys},
            "ner_tags": [NER_TAGS.index(t) for t in row["ner_tags"]],
            "ner_tags_coarse": [NER_TAGS_COARSE.index(t) for t in row["ner_tags_coarse"]],
            "entities": [{**e, "label": ENTITY_TYPES.index(e["label"])} for e in row["entities"]],
        }

    lines = ["---", "configs:"]
    for config in ("ner", "stance"):
        lines += [f"- config_name: {config}", "  data_files:"]
        for split in ("train", "validation", "test"):
            rows = [encode(r, config) for r in gold_rows() if r["split"] == split]
            write_rows(rows, directory / "data" / config / f"{split}.arrow", ARROW_SCHEMAS[config])
            lines += [f"  - split: {split}", f"    path: data/{config}/{split}.arrow"]
    lines += linking_configs(gold_rows(), directory)
    (directory / "README.md").write_text("\n".join(lines + ["---", ""]), encoding="utf-8")
    return directory

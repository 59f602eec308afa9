"""Seeded synthetic Label Studio JSON exports, in the shape of the project's real export.

Each task is one sentence (``data``: text, doc_id, sentence_id, lang, offset) built from word lists
in vi/ru/nb/id, with 8 token-aligned entity spans and one stance, annotated by one completed
annotation whose ``result`` comes from :func:`vietlao.tasks.ls_result` (a ``labels`` region plus,
for linkable types, an ``entity_id`` textarea sharing the region id; one
``choices`` stance). Tasks, annotations and result items have the keys of ``annotations/export.json``
(Label Studio 1.23), with ``completed_by`` the user's integer id as Label Studio exports it (``vietlao
ls pull`` pseudonymises it); about one task in twenty also has a cancelled (skipped) annotation. The
output passes :func:`vietlao.reader.convert_tasks` against :func:`inventory`.

    .venv/bin/python benchmarks/perf/generate.py 10000 benchmarks/perf/data/export_10k.json --seed 0

Same ``n`` and ``seed`` give byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap
import unicodedata
from pathlib import Path
from typing import Iterator

from vietlao.spans import Span
from vietlao.labels import STANCE_LABELS
from vietlao.labelstudio.tasks import ls_result

#: The project's five documents and their languages (synthetic sentences are spread over them).
DOCS = {"000": "nb", "001": "id", "002": "vi", "003": "ru", "004": "vi"}
LANGS = ("nb", "id", "vi", "ru")
SPANS_PER_TASK = 8

#: Filler words per language (never inside an entity span).
FILLER = {
    "vi": "và của với trong đã được cho các những hai nước quan hệ hợp tác hữu nghị đặc biệt phát triển "
          "kinh tế chính trị thăm chính thức hội đàm tăng cường củng cố tin cậy lãnh đạo nhân dân "
          "truyền thống ký kết thỏa thuận đầu tư thương mại giáo dục an ninh quốc phòng",
    "ru": "и в на с по для между двух стран отношения сотрудничество дружба особые развитие "
          "экономика политика визит официальный переговоры укрепление доверие руководство народ "
          "традиционный подписали соглашение инвестиции торговля образование безопасность оборона",
    "nb": "og i på med for mellom de to landenes forholdet samarbeid vennskap spesielle utvikling "
          "økonomi politikk besøk offisielt samtaler styrke tillit ledelse folket tradisjonelle "
          "signerte avtale investeringer handel utdanning sikkerhet forsvar",
    "id": "dan di pada dengan untuk antara kedua negara hubungan kerja sama persahabatan khusus "
          "pembangunan ekonomi politik kunjungan resmi perundingan memperkuat kepercayaan pemimpin "
          "rakyat tradisional menandatangani perjanjian investasi perdagangan pendidikan keamanan pertahanan",
}

#: (entity_id or None, type, surface form per language). Forms are whole tokens of the tokenizer.
ENTITIES: list[tuple[str | None, str, dict[str, str]]] = [
    ("vietnam", "GPE", {"vi": "Việt Nam", "ru": "Вьетнам", "nb": "Vietnam", "id": "Vietnam"}),
    ("laos", "GPE", {"vi": "Lào", "ru": "Лаос", "nb": "Laos", "id": "Laos"}),
    ("hanoi", "GPE", {"vi": "Hà Nội", "ru": "Ханой", "nb": "Hanoi", "id": "Hanoi"}),
    ("vientiane", "GPE", {"vi": "Viêng Chăn", "ru": "Вьентьян", "nb": "Vientiane", "id": "Vientiane"}),
    ("cambodia", "GPE", {"vi": "Campuchia", "ru": "Камбоджа", "nb": "Kambodsja", "id": "Kamboja"}),
    ("to_lam", "PER", {"vi": "Tô Lâm", "ru": "То Лам", "nb": "To Lam", "id": "To Lam"}),
    ("thongloun_sisoulith", "PER", {"vi": "Thongloun Sisoulith", "ru": "Тхонглун Сисулит",
                                    "nb": "Thongloun Sisoulith", "id": "Thongloun Sisoulith"}),
    ("pham_minh_chinh", "PER", {"vi": "Phạm Minh Chính", "ru": "Фам Минь Тинь",
                                "nb": "Pham Minh Chinh", "id": "Pham Minh Chinh"}),
    ("sonexay_siphandone", "PER", {"vi": "Sonexay Siphandone", "ru": "Сонсай Сипхандон",
                                   "nb": "Sonexay Siphandone", "id": "Sonexay Siphandone"}),
    ("asean", "ORG", {"vi": "ASEAN", "ru": "АСЕАН", "nb": "ASEAN", "id": "ASEAN"}),
    ("cpv", "ORG", {"vi": "Đảng Cộng sản Việt Nam", "ru": "Коммунистическая партия Вьетнама",
                    "nb": "Vietnams kommunistiske parti", "id": "Partai Komunis Vietnam"}),
    ("vna", "ORG", {"vi": "TTXVN", "ru": "ВИА", "nb": "VNA", "id": "VNA"}),
    ("mekong", "LOC", {"vi": "sông Mê Kông", "ru": "Меконг", "nb": "Mekong", "id": "Sungai Mekong"}),
    ("east_west_economic_corridor", "LOC", {"vi": "Hành lang Kinh tế Đông Tây",
                                            "ru": "Восточно Западный коридор",
                                            "nb": "Øst Vest korridoren", "id": "Koridor Timur Barat"}),
    ("lprp_12th_congress", "EVENT", {"vi": "Đại hội XII", "ru": "XII съезд НРПЛ",
                                     "nb": "den 12 partikongressen", "id": "Kongres ke 12"}),
    (None, "DATE", {"vi": "17/01/2023", "ru": "17 января 2023", "nb": "17. januar 2023", "id": "17 Januari 2023"}),
    (None, "DATE", {"vi": "năm 2024", "ru": "2024 году", "nb": "i 2024", "id": "tahun 2024"}),
    (None, "MONEY", {"vi": "5 triệu USD", "ru": "5 млн долларов", "nb": "5 millioner dollar", "id": "5 juta dolar"}),
    (None, "MONEY", {"vi": "1.000 tỷ đồng", "ru": "1.000 рублей", "nb": "1.000 kroner", "id": "1.000 rupiah"}),
    (None, "MISC", {"vi": "người Lào", "ru": "лаосский", "nb": "laotiske", "id": "Laos"}),
]

_FILLER_WORDS = {lang: tuple(unicodedata.normalize("NFC", words).split()) for lang, words in FILLER.items()}
_FORMS = [(eid, typ, {k: unicodedata.normalize("NFC", v) for k, v in forms.items()}) for eid, typ, forms in ENTITIES]


def inventory() -> dict[str, str]:
    """The inventory the generated exports are valid against: entity_id -> type."""
    return {eid: typ for eid, typ, _ in _FORMS if eid}


def _sentence(rng: random.Random, lang: str) -> tuple[str, list[Span]]:
    """A sentence of filler words with SPANS_PER_TASK entity mentions, and the mentions."""
    words = _FILLER_WORDS[lang]
    parts: list[str] = []
    mentions: list[Span] = []
    pos = 0

    def add(piece: str) -> int:
        nonlocal pos
        if parts:
            pos += 1  # the joining space
        start = pos
        parts.append(piece)
        pos += len(piece)
        return start

    for _ in range(SPANS_PER_TASK):
        for _ in range(rng.randint(1, 4)):
            add(rng.choice(words))
        eid, typ, forms = rng.choice(_FORMS)
        form = forms[lang]
        start = add(form)
        mentions.append(Span(start, start + len(form), typ, eid))
    for _ in range(rng.randint(1, 3)):
        add(rng.choice(words))
    text = " ".join(parts) + "."
    return text[0].upper() + text[1:], mentions


def _timestamp(rng: random.Random) -> str:
    return (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}Z")


def generate(n: int, seed: int = 0) -> Iterator[dict]:
    """``n`` tasks, deterministic for ``seed``."""
    rng = random.Random(seed)
    doc_ids = sorted(DOCS)
    next_index = dict.fromkeys(doc_ids, 0)
    next_offset = dict.fromkeys(doc_ids, 0)
    annotation_id = 0
    for task_id in range(1, n + 1):
        doc_id = rng.choice(doc_ids)
        lang = DOCS[doc_id]
        text, mentions = _sentence(rng, lang)
        sentence_id = f"{doc_id}-{next_index[doc_id]:03d}"
        offset = next_offset[doc_id]
        next_index[doc_id] += 1
        next_offset[doc_id] += len(text) + 1
        stance = rng.choice(STANCE_LABELS)
        result = ls_result(sentence_id, text, mentions, stance)
        created = _timestamp(rng)
        annotator = rng.randint(1, 6)
        annotations = []
        if rng.random() < 0.05:
            annotation_id += 1
            annotations.append(_annotation(rng, annotation_id, task_id, rng.randint(1, 6), [], created, cancelled=True))
        annotation_id += 1
        annotations.append(_annotation(rng, annotation_id, task_id, annotator, result, created, cancelled=False))
        yield {
            "id": task_id,
            "annotations": annotations,
            "drafts": [],
            "predictions": [],
            "data": {"text": text, "doc_id": doc_id, "sentence_id": sentence_id, "lang": lang, "offset": offset},
            "meta": {},
            "created_at": created,
            "updated_at": created,
            "inner_id": task_id,
            "total_annotations": sum(not a["was_cancelled"] for a in annotations),
            "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
            "total_predictions": 0,
            "comment_count": 0,
            "unresolved_comment_count": 0,
            "last_comment_updated_at": None,
            "project": 1,
            "updated_by": annotator,
            "comment_authors": [],
            "allow_skip": True,
        }


def _annotation(rng, annotation_id, task_id, annotator, result, created, cancelled) -> dict:
    return {
        "id": annotation_id,
        "completed_by": annotator,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": created,
        "updated_at": created,
        "draft_created_at": None,
        "lead_time": round(rng.uniform(5, 300), 3),
        "prediction": {},
        "result_count": len(result),
        "unique_id": f"{rng.getrandbits(128):032x}",
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": task_id,
        "project": 1,
        "updated_by": annotator,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def write_export(path: Path, n: int, seed: int = 0, layout: str = "ls") -> Path:
    """Write ``n`` tasks as a JSON list, streaming. ``layout`` "ls": byte for byte what Label Studio's
    export writes (``json.dumps(tasks, ensure_ascii=False)``, one line); "pull": what ``vietlao ls
    pull`` writes (``indent=2, sort_keys=True``, plus a final newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        if layout == "ls":
            out.write("[")
            for i, task in enumerate(generate(n, seed)):
                if i:
                    out.write(", ")
                out.write(json.dumps(task, ensure_ascii=False))
            out.write("]")
        elif layout == "pull":
            out.write("[")
            for i, task in enumerate(generate(n, seed)):
                out.write(",\n" if i else "\n")
                out.write(textwrap.indent(json.dumps(task, ensure_ascii=False, indent=2, sort_keys=True), "  "))
            out.write("\n]\n" if n else "]\n")
        else:
            raise ValueError(f"unknown layout {layout!r}")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of tasks")
    p.add_argument("output", type=Path, help="export file to write")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layout", choices=("ls", "pull"), default="ls",
                   help="ls: as Label Studio exports (one line); pull: as `vietlao ls pull` writes (indented)")
    p.add_argument("--inventory", type=Path, help="also write the inventory (entity_id -> type) as JSON here")
    args = p.parse_args(argv)
    write_export(args.output, args.n, args.seed, args.layout)
    if args.inventory:
        args.inventory.write_text(json.dumps(inventory(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.n} tasks to {args.output} ({args.output.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

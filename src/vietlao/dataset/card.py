"""The dataset card: metadata as a pydantic model, generated blocks, and ``dataset/README.md``.

``DATASET_CARD.md`` is the one source. Its prose is written by hand; the blocks between
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` are filled by the build (statistics,
examples, agreement, checksums) and by the benchmark (results). ``dataset/README.md`` is the YAML
front matter rendered from :class:`CardMetadata` followed by the card, verbatim.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterator, Literal, Sequence, cast

import yaml
from pydantic import BaseModel, ConfigDict

from vietlao.corpus.documents import load_metadata
from vietlao.corpus.metadata import LANGUAGES, CorpusLayout, Language
from vietlao.dataset.layout import data_files
from vietlao.dataset.linking import card_block as linking_block
from vietlao.dataset.rows import INVENTORY_SPLIT, splits_and_folds
from vietlao.export.reader import iter_tasks
from vietlao.export.task import SentenceRecord
from vietlao.files import atomic_write
from vietlao.labels import ENTITY_TYPES, SPLITS, STANCE_LABELS
from vietlao.paths import project
from vietlao.tables import markdown_table

#: The licence notes written beside the data (the Hub's ``license_link``).
LICENCE_FILE = "LICENCE.md"

_BLOCK = re.compile(r"(<!-- generated:(\w+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.S)


class ConfigSpec(BaseModel):
    config_name: Literal["ner", "stance", "documents", "entities", "linking"]
    splits: tuple[str, ...]
    default: bool = False


class CardMetadata(BaseModel):
    """Hugging Face card metadata, with the vocabularies the Hub accepts for each field."""

    model_config = ConfigDict(frozen=True)

    pretty_name: str = "vietlao: Vietnam–Laos relations, multilingual NER and stance"
    language: tuple[Language, ...]  #: the corpus languages (``CorpusLayout.languages``)
    license: Literal["other"] = "other"
    license_name: str = "news-texts-no-licence-granted"
    license_link: str = LICENCE_FILE
    license_details: str = (
        "The texts are news articles whose copyright stays with their outlets; no licence is granted "
        "for them. The annotations are released under CC BY 4.0. See the card's Licence section."
    )
    multilinguality: Literal["multilingual"] = "multilingual"
    size_categories: tuple[Literal["n<1K"], ...] = ("n<1K",)
    source_datasets: tuple[Literal["original"], ...] = ("original",)
    task_categories: tuple[Literal["token-classification", "text-classification"], ...] = (
        "token-classification", "text-classification",
    )
    task_ids: tuple[Literal["named-entity-recognition", "sentiment-classification"], ...] = (
        "named-entity-recognition",
    )
    annotations_creators: tuple[Literal["machine-generated", "expert-generated", "crowdsourced"], ...] = (
        "machine-generated",
    )
    language_creators: tuple[Literal["found"], ...] = ("found",)
    tags: tuple[str, ...] = ("stance-detection", "entity-linking", "news", "vietnam", "laos")
    configs: tuple[ConfigSpec, ...] = (
        ConfigSpec(config_name="ner", splits=("train", "validation", "test"), default=True),
        ConfigSpec(config_name="stance", splits=("train", "validation", "test")),
        ConfigSpec(config_name="documents", splits=("train", "validation", "test")),
        ConfigSpec(config_name="entities", splits=(INVENTORY_SPLIT,)),
        ConfigSpec(config_name="linking", splits=("train", "validation", "test")),
    )

    def front_matter(self, files: dict[str, dict[str, str]]) -> str:
        """The YAML front matter; ``files`` maps config -> split -> data file (as the build named it)."""
        data = self.model_dump(mode="json", exclude={"configs"})
        data = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in data.items()}
        data["configs"] = [
            {
                "config_name": c.config_name,
                **({"default": True} if c.default else {}),
                "data_files": [
                    {"split": s, "path": files[c.config_name][s]} for s in c.splits if s in files.get(c.config_name, {})
                ],
            }
            for c in self.configs
        ]
        return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100) + "---\n"


def statistics_block(records: list[SentenceRecord]) -> str:
    """Counts per split × language, and per language × label for entities and stance."""
    split_of, _ = splits_and_folds()

    langs = [lang for lang in LANGUAGES if lang in {r.lang for r in records}]
    by_lang = {lang: [r for r in records if r.lang == lang] for lang in langs}
    ent = {lang: Counter(m.label for r in rs for m in r.mentions) for lang, rs in by_lang.items()}
    st = {lang: Counter(r.stance for r in rs) for lang, rs in by_lang.items()}
    splits = Counter((split_of[r.doc_id], r.lang) for r in records)
    parts = [
        "Sentences per split and language (`ner` and `stance` have one row per sentence):\n",
        markdown_table(["split", *langs, "all"], [
            [s, *(splits[(s, lang)] for lang in langs), sum(splits[(s, lang)] for lang in langs)]
            for s in SPLITS
        ]),
        "\nEntity mentions per language and type (`ner`, `documents`):\n",
        markdown_table(["type", *langs, "all"], [
            [t, *(ent[lang][t] for lang in langs), sum(ent[lang][t] for lang in langs)] for t in ENTITY_TYPES
        ] + [["all", *(sum(ent[lang].values()) for lang in langs), sum(sum(ent[lang].values()) for lang in langs)]]),
        "\nStance labels per language (`stance`), target *Vietnam–Laos relations*:\n",
        markdown_table(["label", *langs, "all"], [
            [s, *(st[lang][s] for lang in langs), sum(st[lang][s] for lang in langs)] for s in STANCE_LABELS
        ]),
    ]
    return "\n".join(parts) + "\n"


def documents_block(records: list[SentenceRecord]) -> str:
    """One row per document of the metadata: language, split, fold, sentences, provenance."""
    from urllib.parse import urlsplit

    metadata = load_metadata()
    _, fold_of = splits_and_folds(metadata)
    sentences = Counter(r.doc_id for r in records)
    rows = []
    for m in metadata:
        url = f"[{urlsplit(m.source_url).hostname}]({m.source_url})" if m.source_url else "not stated"
        translation = f"yes, from {m.translated_from}" if m.is_translation and m.translated_from else (
            "yes" if m.is_translation else "no")
        rows.append([m.doc_id, m.lang, m.split, fold_of[m.doc_id], sentences[m.doc_id],
                     m.outlet or "not stated", url, m.published or "not stated", translation])
    return markdown_table(["doc", "lang", "split", "fold", "sentences", "outlet (as the text credits it)", "source",
                           "date stated", "translation"], rows) + "\n"


def examples_block(records: list[SentenceRecord]) -> str:
    """One example row per language: the first sentence with at least three mentions."""
    out = []
    for lang in LANGUAGES:
        r = next((r for r in records if r.lang == lang and len(r.mentions) >= 3), None)
        if r is None:
            continue
        spans = ", ".join(f"`{r.text[m.start:m.end]}` {m.label}" + (f" → `{m.entity_id}`" if m.entity_id else "")
                          for m in r.mentions)
        out.append(f"- **{r.sentence_id}** ({lang}, stance *{r.stance}*): {r.text}\n  - {spans}")
    return "\n".join(out) + "\n"


def preannotator_block(export: Path) -> str:
    """The pre-annotator versions found in the export's predictions, with counts."""
    versions: Counter = Counter()
    # one task at a time: the export is not held in memory; it was validated, so each task is an object
    for task in cast(Iterator[dict], iter_tasks(export)):
        # Label Studio lists prediction ids on the task and embeds the prediction in its annotations.
        embedded = [a["prediction"] for a in task.get("annotations", []) if isinstance(a.get("prediction"), dict)]
        listed = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
        versions.update({p["model_version"] for p in embedded + listed if p.get("model_version")})
    if not versions:
        return "No pre-annotations in the export.\n"
    named = ", ".join(f"`{v}` ({n} tasks)" for v, n in sorted(versions.items()))
    return (
        f"{named}: a gazetteer of the entity inventory's names and surface forms at push time (longest "
        "token-aligned match, no stance), `vietlao.labelstudio.preannotate`; the version is a hash of the inventory "
        "file. Its predictions are kept in the export beside the annotations.\n"
    )


def checksums_block(sums: dict[str, str]) -> str:
    return "\n".join(["```", *(f"{d}  {p}" for p, d in sums.items()), "```"]) + "\n"


def results_block(table: Path | None = None) -> str:
    """The marked table of ``table`` (default: the project's ``benchmarks/results/RESULTS.md``)."""
    table = table or project().results_table
    if not table.exists():
        return "No benchmark results yet: run `vietlao benchmark`.\n"
    text = table.read_text(encoding="utf-8")
    match = re.search(r"<!-- table -->\n(.*?)<!-- /table -->", text, re.S)
    body = match.group(1) if match else text
    versions = _results_versions(table.with_name("results.json"))
    if versions:
        body += "\nMeasured with:\n\n" + markdown_table(["package", "version"], [[k, v or "—"] for k, v in versions.items()]) + "\n"
    return body + "\nFull results, plots and the commands: `benchmarks/results/RESULTS.md`.\n"


def preannotation_block(table: Path | None = None) -> str:
    """The effort-saved section of ``table`` (default: the project's ``benchmarks/results/RESULTS.md``)."""
    table = table or project().results_table
    match = re.search(r"<!-- preannotation -->\n(.*?)<!-- /preannotation -->", table.read_text(encoding="utf-8"), re.S) \
        if table.exists() else None
    if match is None:
        return "No pre-annotation measurement yet: run `vietlao benchmark`.\n"
    return match.group(1) + "\nProtocol and command: `benchmarks/results/RESULTS.md`, section Pre-annotation.\n"


def _results_versions(path: Path) -> dict:
    """The package versions the benchmark recorded in ``results.json`` (``meta.versions``)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("meta", {}).get("versions", {})


def fill_blocks(card: str, blocks: dict[str, str]) -> str:
    """Replace the generated blocks named in ``blocks``; other text stays as written."""
    missing = set(blocks) - {m.group(2) for m in _BLOCK.finditer(card)}
    if missing:
        raise ValueError(f"{project().card.name} lacks generated block(s): {sorted(missing)}")
    return _BLOCK.sub(lambda m: m.group(1) + blocks.get(m.group(2), m.group(3)) + m.group(4), card)


def update_card(records: list[SentenceRecord], sums: dict[str, str], export: Path, path: Path | None = None,
                extra: dict[str, str] | None = None) -> str:
    """The card (default: the project's ``DATASET_CARD.md``) with its build blocks regenerated (not
    written), and the ``extra`` blocks that later stages render (the agreement of the annotation
    passes: :func:`vietlao.evaluation.agreement.card_block`); a block not given stays as it was."""
    return fill_blocks(
        (path or project().card).read_text(encoding="utf-8"),
        {
            "documents": documents_block(records),
            "statistics": statistics_block(records),
            "linking": linking_block(records),
            "examples": examples_block(records),
            "checksums": checksums_block(sums),
            "preannotator": preannotator_block(export),
            "results": results_block(),
            "preannotation": preannotation_block(),
            **(extra or {}),
        },
    )


def card_sections(card: str) -> dict[str, str]:
    """The card's sections by heading (``## X`` and ``### X``, without the hashes), each the text up
    to the next heading, with the generated-block markers removed (their contents kept)."""
    text = re.sub(r"<!-- /?generated:\w+ -->\n?", "", card)
    text = re.sub(r"```.*?```", lambda m: m.group(0).replace("\n#", "\n\\#"), text, flags=re.S)
    parts = re.split(r"^#{2,3} (.+)\n", text, flags=re.M)
    return {heading.strip(): body.replace("\n\\#", "\n#").strip() for heading, body in zip(parts[1::2], parts[2::2])}


def card_bullets(section: str) -> list[str]:
    """The top-level bullets of a card section (``- `` lines with their indented continuations),
    each as one line of text."""
    bullets: list[str] = []
    for line in section.splitlines():
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif bullets and line.startswith("  ") and line.strip():
            bullets[-1] += " " + line.strip()
        elif bullets and line.strip():  # a paragraph after the list ends it
            break
    return bullets


def write_card(card: str, path: Path | None = None) -> None:
    atomic_write(path or project().card, card)


def render_dataset_readme(card: str, files: dict[str, dict[str, str]], languages: Sequence[Language]) -> str:
    """``dataset/README.md``: front matter (``files``: config -> split -> data file; the corpus
    ``languages``) + the card."""
    return CardMetadata(language=tuple(languages)).front_matter(files) + "\n" + card


def refresh_results(path: Path | None = None, dataset_dir: Path | None = None) -> None:
    """Re-quote the benchmark table in the card and in ``dataset/README.md`` (after a benchmark run)."""
    path, dataset_dir = path or project().card, dataset_dir or project().dataset
    card = fill_blocks(path.read_text(encoding="utf-8"), {"results": results_block(), "preannotation": preannotation_block()})
    write_card(card, path)
    readme = dataset_dir / "README.md"
    if readme.exists():
        write_card(render_dataset_readme(card, data_files(dataset_dir), CorpusLayout.read().languages), readme)

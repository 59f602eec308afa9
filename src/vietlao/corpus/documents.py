"""The corpus: documents kept byte-identical, their metadata, and checksums."""

from __future__ import annotations

import hashlib
import unicodedata
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from vietlao.corpus.metadata import CorpusError, DocumentMeta, load_metadata
from vietlao.corpus.segment import Sentence, segment
from vietlao.paths import project


class Document(BaseModel):
    """A document's metadata and its text, read verbatim."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    meta: DocumentMeta
    text: str

    @property
    def doc_id(self) -> str:
        return self.meta.doc_id

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        return segment(self.text)

    def sentence_id(self, index: int) -> str:
        return f"{self.doc_id}-{index:03d}"


def read_text(path: Path) -> str:
    """Read UTF-8 text exactly as stored: no newline translation, no normalisation."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def load_document(meta: DocumentMeta, directory: Path | None = None) -> Document:
    """Read one document and check it against its recorded checksum and NFC form."""
    path = (directory or project().documents) / meta.source_file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read document {meta.doc_id}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.sha256:
        raise CorpusError(
            f"{path}: document {meta.doc_id} has drifted: sha256 {digest}, expected {meta.sha256}"
        )
    text = read_text(path)
    if not unicodedata.is_normalized("NFC", text):
        raise CorpusError(f"{path}: document {meta.doc_id} is not NFC-normalised")
    problem = text_problem(meta, text)
    if problem:
        raise CorpusError(f"{path.parent / 'metadata.json'}: doc_id {meta.doc_id}: {problem}")
    return Document(meta=meta, text=text)


def text_problem(meta: DocumentMeta, text: str) -> str | None:
    """What the metadata says that the text does not: a ``source_url`` the text does not contain, a
    ``title`` the text does not begin with (both are only recorded where the text states them)."""
    if meta.source_url and meta.source_url not in text:
        return (f"source_url {meta.source_url!r} is not in the text of {meta.source_file}: give the URL exactly "
                "as the text states it, or null if it states none")
    if meta.title and not text.startswith(meta.title):
        return (f"title {meta.title!r} is not how {meta.source_file} begins: give the title exactly as the text "
                "begins, or null if it states none")
    return None


def load_corpus(metadata: Path | None = None) -> list[Document]:
    """All documents, in ``doc_id`` order, each verified."""
    metadata = metadata or project().metadata
    metas = sorted(load_metadata(metadata), key=lambda m: m.doc_id)
    return [load_document(m, metadata.parent) for m in metas]


def corpus_statistics(documents: list[Document]) -> list[dict]:
    """Per-document figures: language, characters, sentences, tokens."""
    return [
        {
            "doc_id": d.doc_id,
            "lang": d.meta.lang,
            "characters": len(d.text),
            "sentences": len(d.sentences),
            "tokens": sum(len(s.tokens) for s in d.sentences),
        }
        for d in documents
    ]

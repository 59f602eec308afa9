"""The documents' metadata and the vocabularies it draws from.

The allowed values are declared here once, as pydantic ``Literal`` vocabularies: the languages a
document may be in (:data:`LANGUAGES`) and the splits (:data:`vietlao.labels.SPLITS`). What the
corpus actually uses — its languages, each document's split and fold, which documents report the
same event — is derived from ``annotations/documents/metadata.json`` by :class:`CorpusLayout`, when
asked for, never when a module is imported. Bad metadata is one :class:`CorpusError` line naming the
file, the entry and the allowed values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from vietlao.labels import SPLITS, Split
from vietlao.paths import project

#: ISO 639-1 codes a document may be written in. Adding one here (with its name below) is all a new
#: language needs from the metadata's side; the tokeniser already handles Lao, Thai and Khmer.
Language = Literal["nb", "id", "vi", "ru", "lo", "th", "km"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LANGUAGE_NAMES: dict[str, str] = {
    "nb": "Norwegian Bokmål", "id": "Indonesian", "vi": "Vietnamese", "ru": "Russian",
    "lo": "Lao", "th": "Thai", "km": "Khmer",
}


class CorpusError(Exception):
    """A document or its metadata is missing, altered or malformed."""


class DocumentMeta(BaseModel):
    """Metadata of one document; ``None`` where the text does not state a value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    doc_id: str = Field(pattern=r"^\d{3}$")
    source_file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    lang: Language
    title: str | None
    outlet: str | None = Field(description="the outlet the text names as its source")
    source_url: str | None
    published: str | None = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="ISO date, only where the text states it")
    is_translation: bool = Field(description="evidently translated (cites a source in another language)")
    translated_from: Language | None
    split: Split = Field(description="dataset split; reports of one event must share a split")
    event: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        description="documents reporting the same event share this id (and so a split); none: an event of its own",
    )
    notes: str = ""

    @model_validator(mode="after")
    def _translation(self) -> "DocumentMeta":
        if self.is_translation != (self.translated_from is not None):
            raise ValueError("translated_from: set it to the source language exactly when is_translation is true "
                             "(null otherwise)")
        if self.translated_from == self.lang:
            raise ValueError(f"translated_from: {self.lang!r} is the document's own language")
        return self


#: The fields every metadata entry must have (``null`` where the text states no value).
REQUIRED_FIELDS: tuple[str, ...] = tuple(n for n, f in DocumentMeta.model_fields.items() if f.is_required())
#: What a value that does not match its field's pattern should be.
_FIX = {
    "doc_id": "three digits, the next free one (000, 001, …)",
    "sha256": "64 lowercase hex digits, as `sha256sum FILE` prints them",
    "published": "an ISO date YYYY-MM-DD as the text states it, or null",
    "event": "lowercase letters and digits joined by hyphens (the id other reports of the event share), or null",
}


def _problem(path: Path, index: int, row: object, exc: ValidationError) -> str:
    """One line for the first problem of one metadata entry: where, which field, how to fix it."""
    doc = row.get("doc_id") if isinstance(row, dict) else None
    where = f"{path}: entry {index + 1}" + (f" (doc_id {doc})" if isinstance(doc, str) else "")
    err = exc.errors(include_url=False)[0]
    field = ".".join(str(x) for x in err["loc"]) or "entry"
    if err["type"] == "literal_error":
        allowed = {"lang": LANGUAGES, "translated_from": LANGUAGES, "split": SPLITS}.get(field)
        allowed_text = ", ".join(allowed) if allowed else err["ctx"]["expected"]
        return f"{where}: {field} {err['input']!r} is not allowed; allowed values: {allowed_text}"
    if err["type"] == "missing":
        return (f"{where}: {field} is missing; every entry has {', '.join(REQUIRED_FIELDS)} "
                "(null where the text states no value)")
    if err["type"] == "string_pattern_mismatch" and field in _FIX:
        return f"{where}: {field} {err['input']!r} is not valid: it must be {_FIX[field]}"
    if err["type"] == "extra_forbidden":
        return f"{where}: {field} is not a metadata field; the fields are {', '.join(DocumentMeta.model_fields)}"
    if err["type"] == "value_error":
        return f"{where}: {str(err['ctx']['error'])}"
    return f"{where}: {field}: {err['msg']}"


def load_metadata(path: Path | None = None) -> list[DocumentMeta]:
    """Every entry of a ``metadata.json`` (default: the project's ``annotations/documents/metadata.json``),
    validated; the first problem found is a :class:`CorpusError`."""
    path = path or project().metadata
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{path}: cannot read metadata: {exc}") from exc
    if not isinstance(rows, list):
        raise CorpusError(f"{path}: metadata must be a JSON list of documents")
    metas = []
    for i, row in enumerate(rows):
        try:
            metas.append(DocumentMeta.model_validate(row))
        except ValidationError as exc:
            raise CorpusError(_problem(path, i, row, exc)) from None
    ids = [m.doc_id for m in metas]
    if len(set(ids)) != len(ids):
        raise CorpusError(f"{path}: duplicate doc_id in {ids}")
    layout = CorpusLayout(tuple(metas))
    for event, docs in layout.event_groups.items():
        splits = sorted({layout.split_of[d] for d in docs})
        if len(splits) > 1:
            raise CorpusError(
                f"{path}: documents {', '.join(docs)} report event {event!r} but sit in splits "
                f"{', '.join(splits)}; reports of one event must share a split"
            )
    return metas


@dataclass(frozen=True)
class CorpusLayout:
    """What the metadata says about the corpus as a whole; every derived vocabulary lives here."""

    documents: tuple[DocumentMeta, ...]

    @classmethod
    def read(cls, path: Path | None = None) -> CorpusLayout:
        """The layout of a ``metadata.json`` (default: the project's)."""
        return cls(tuple(load_metadata(path)))

    @cached_property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(sorted(m.doc_id for m in self.documents))

    @cached_property
    def languages(self) -> tuple[Language, ...]:
        """The languages in use, in the order of :data:`LANGUAGES`."""
        used = {m.lang for m in self.documents}
        return tuple(lang for lang in LANGUAGES if lang in used)

    @cached_property
    def split_of(self) -> dict[str, str]:
        return {m.doc_id: m.split for m in self.documents}

    @cached_property
    def fold_of(self) -> dict[str, int]:
        """Leave-one-document-out folds: a document's index in ``doc_id`` order."""
        return {doc_id: i for i, doc_id in enumerate(self.doc_ids)}

    @cached_property
    def event_groups(self) -> dict[str, tuple[str, ...]]:
        """Event id -> the documents that report it (documents with no ``event`` are left out)."""
        groups: dict[str, list[str]] = {}
        for m in sorted(self.documents, key=lambda m: m.doc_id):
            if m.event:
                groups.setdefault(m.event, []).append(m.doc_id)
        return {event: tuple(docs) for event, docs in sorted(groups.items())}

    def docs_in(self, split: str) -> tuple[str, ...]:
        return tuple(d for d in self.doc_ids if self.split_of[d] == split)

"""Predictions files: reading JSON Lines, joining them to gold by id, checking every line.

A predictions file is JSON Lines (https://jsonlines.org): UTF-8, one JSON object per line, lines
split on ``\\n`` only (a U+2028 inside a string is part of the string), a final newline optional,
blank lines skipped. Labels are names (``"B-PER"``, ``"GPE"``, ``"favor"``) or the dataset's own
integer ClassLabel values, mapped through the ClassLabel names (:data:`CLASS_NAMES`): a file made
by copying the dataset's ``ner_tags``, ``entities`` or stance ``label`` scores as the gold does.

Every problem of a file is reported at once (ids, keys, values), up to :data:`MAX_LISTED` lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, cast

import orjson

from vietlao.errors import UserError, shown
from vietlao.files import input_problem
from vietlao.labels import ENTITY_TYPES, NER_TAGS, NER_TAGS_COARSE, STANCE_LABELS

__all__ = [
    "CLASS_NAMES", "INT_TAGS", "MAX_LISTED", "check_predictions", "fail", "id_problems", "io_problem", "join_by_id",
    "read_predictions", "write_predictions",
]

MAX_LISTED = 20

#: The ClassLabel names of the dataset's label columns (``vietlao.dataset.rows`` builds the
#: features from the same vocabularies): an integer ``i`` in a prediction means ``names[i]``.
CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "ner_tags": NER_TAGS,
    "ner_tags_coarse": NER_TAGS_COARSE,
    "entities.label": ENTITY_TYPES,
    "label": STANCE_LABELS,
}

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)


# --------------------------------------------------------------------------- reading


def _check_start(path: Path, head: bytes) -> None:
    """Refuse a file that is not UTF-8 by its first bytes (a byte-order mark, NUL bytes)."""
    for mark, name in _BOMS:
        if head.startswith(mark):
            raise UserError(f"{path}: the file is {name} (byte-order mark {mark.hex(' ')}); save it as UTF-8")
    if head[:2].count(0) == 1 or head[:4].count(0) >= 2:
        raise UserError(f"{path}: the file holds NUL bytes at its start (UTF-16 or UTF-32?); save it as UTF-8")


def _decode_line(path: Path, number: int, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path}:{number}: not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); save the file as UTF-8"
        ) from None


def _json_reason(exc: orjson.JSONDecodeError) -> str:
    """orjson's reason without its line number (always 1: every line is parsed alone)."""
    match = re.fullmatch(r"(.*): line \d+ column (\d+) \(char \d+\)", str(exc), re.S)
    if match is None:
        return str(exc)
    reason, column = match.groups()
    if reason == "depth limit exceeded":
        reason = "nested more than 1024 deep"
    return f"{reason} at column {column}"


def read_predictions(path: Path | str) -> list[dict]:
    """The JSON objects of a JSON Lines file, each with a string ``id``; blank lines are skipped.
    The file is read line by line: memory holds the objects, not the file's text as well."""
    path = Path(path)
    problem = input_problem(path)  # a pipe would block until a writer came
    if problem:
        raise UserError(f"predictions {shown(path)} {problem}")
    records, problems, parsed, first = [], [], 0, None
    try:
        with open(path, "rb") as handle:
            _check_start(path, handle.read(4))
            handle.seek(0)
            for number, raw in enumerate(handle, 1):  # split on b"\n" only, as JSON Lines is
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                line = _decode_line(path, number, raw[:-1] if raw.endswith(b"\n") else raw)
                if not line.strip():
                    continue
                first = line.strip() if first is None else first
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    problems.append(f"line {number}: not JSON ({_json_reason(exc)})")
                    continue
                parsed += 1
                twice = _key_twice(line) if isinstance(record, (dict, list)) else None
                if twice is not None:
                    problems.append(f"line {number}: key {json.dumps(twice, ensure_ascii=False)} twice in one "
                                    "object (which one counts is unclear): write each key once")
                elif not isinstance(record, dict):
                    problems.append(f"line {number}: a JSON {type(record).__name__}, not an object")
                elif not isinstance(record.get("id"), str):
                    problems.append(f"line {number}: no string \"id\" (a sentence id such as \"000-003\")")
                else:
                    records.append(record)
    except OSError as exc:
        raise UserError(f"cannot read predictions {shown(path)}: {exc.strerror or exc}") from None
    if problems and not parsed:
        kind = " (it looks like CSV or TSV)" if first and ("," in first or "\t" in first) and not first.startswith("{") else ""
        raise UserError(f"{shown(path)}: not JSON Lines, no line is JSON{kind}: write one JSON object per line, e.g. "
                        '{"id": "000-003", "label": "favor"}')
    fail(str(path), problems)
    if not records:
        raise UserError(f"{path}: no predictions (the file is empty)")
    return records


class _Twice(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Twice(key)
        seen[key] = value
    return seen


def _key_twice(line: str) -> str | None:
    """A key written twice in one object of ``line`` (JSON that orjson has read), or ``None``."""
    try:
        json.loads(line, object_pairs_hook=_unique)
    except _Twice as exc:
        return exc.key
    return None


def write_predictions(path: Path | str, records: Iterable[Mapping[str, Any]]) -> Path:
    """Write prediction objects as JSON Lines (UTF-8, one object per line)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# --------------------------------------------------------------------------- problems


def listing(items: Iterable[str]) -> str:
    """At most :data:`MAX_LISTED` items, sorted, comma-separated, each escaped and cut (:func:`shown`)."""
    items = sorted(items)
    more = f" … and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else ""
    return ", ".join(shown(i, 60) for i in items[:MAX_LISTED]) + more


def fail(source: str, problems: list[str]) -> None:
    """Raise one :class:`UserError` listing ``problems`` (nothing if there are none)."""
    if problems:
        first = [shown(p, 300) for p in problems[:MAX_LISTED]]  # ids from the file, escaped and cut
        more = [f"… and {len(problems) - MAX_LISTED} more problems"] if len(problems) > MAX_LISTED else []
        raise UserError(f"{shown(source)}: {len(problems)} problem(s):\n  " + "\n  ".join(first + more))


def _mapping(names: Sequence[str]) -> str:
    return ", ".join(f"{i}={n}" for i, n in enumerate(names))


def _name(value: Any, column: str) -> str | None:
    """A label name from a name or a ClassLabel integer; ``None`` if it is neither."""
    names = CLASS_NAMES[column]
    if isinstance(value, str):
        return value if value in names else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
        return names[value]
    return None


def _keys_seen(records: list[dict]) -> str:
    return ", ".join(sorted({k for r in records for k in r}))


# --------------------------------------------------------------------------- checks


def _ner_form(records: list[dict], source: str) -> str:
    forms = [f for f in ("ner_tags", "entities") if any(f in r for r in records)]
    if not forms:
        raise UserError(
            f"{source}: no \"ner_tags\" or \"entities\" key on any line (keys seen: {_keys_seen(records)}); "
            "is this a stance file? NER lines look like "
            '{"id": "000-003", "ner_tags": ["O", "B-PER", ...]} or '
            '{"id": "000-003", "entities": [{"start": 29, "end": 35, "label": "PER"}]}'
        )
    # both present: the form of most lines is the file's, the other lines are reported
    return max(forms, key=lambda f: sum(f in r for r in records))


#: The ClassLabel list integer tags index under each ``--tagset``.
INT_TAGS = {"fine": "ner_tags", "coarse": "ner_tags_coarse"}
NO_TAGSET = "--tagset not given"


def _check_tags(sid: str, value: list, gold: dict, problems: list[str], tagset: str | None) -> list[str] | None:
    if len(value) != len(gold["tokens"]):
        problems.append(f"{sid}: {len(value)} tags for {len(gold['tokens'])} tokens")
    ints = any(isinstance(t, int) and not isinstance(t, bool) for t in value)
    if ints and tagset is None:
        problems.append(NO_TAGSET)
        return None
    column = INT_TAGS[tagset or "fine"]
    tags = [_name(t, column) if isinstance(t, int) else _name(t, "ner_tags") for t in value]
    bad = [t for t, name in zip(value, tags) if name is None]
    if bad:
        names = ", ".join(json.dumps(t, ensure_ascii=False) for t in dict.fromkeys(map(_hashable, bad)))
        problems.append(
            f"{sid}: unknown tags {names} (tags are names such as \"B-PER\" or the dataset's "
            f"ClassLabel integers 0–{len(CLASS_NAMES[column]) - 1}"
            + (f" of {column}, --tagset coarse)" if tagset == "coarse" else ")")
        )
        return None
    return cast(list[str], tags)  # no None left: ``bad`` is empty


def _int_tags_problems(problems: list[str]) -> list[str]:
    """The sentences with integer tags but no --tagset, as one line saying what to do."""
    n = problems.count(NO_TAGSET)
    if not n:
        return problems
    return [p for p in problems if p != NO_TAGSET] + [
        f"integer tags on {n} line(s) and no --tagset: integers are ClassLabel ids of one list; give "
        "--tagset fine for ids of the dataset's ner_tags, --tagset coarse for ids of its ner_tags_coarse"
    ]


def io_problem(preds: list[dict], source: str) -> None:
    """Refuse ``ner_tags`` with I- tags and no B- tag at all (IO tagging): strict IOB2 reads no entity."""
    tags = [t for p in preds for t in p.get("ner_tags") or ()]
    if any(t.startswith("I-") for t in tags) and not any(t.startswith("B-") for t in tags):
        raise UserError(f"{source}: only I- tags, no B- tag (IO tagging?): strict IOB2 reads no entity in them; "
                        "score with --scheme conlleval, which starts an entity at an I- tag after O")


def _hashable(x: Any) -> Any:
    return x if isinstance(x, (str, int, float, bool, type(None))) else json.dumps(x)


def _check_entities(sid: str, value: list, gold: dict, problems: list[str]) -> list[dict] | None:
    length, out, ok = len(gold["text"]), [], True
    for e in value:
        fields = isinstance(e, dict) and all(
            isinstance(e.get(k), int) and not isinstance(e.get(k), bool) for k in ("start", "end")
        )
        if not fields:
            problems.append(f"{sid}: entity {json.dumps(e, ensure_ascii=False)} needs integer \"start\" and \"end\"")
        elif e["end"] < e["start"]:
            problems.append(f"{sid}: entity [{e['start']}, {e['end']}) is reversed: \"end\" is before \"start\"")
        elif e["end"] == e["start"]:
            problems.append(f"{sid}: entity [{e['start']}, {e['end']}) is empty")
        elif e["start"] < 0 or e["end"] > length:
            problems.append(f"{sid}: entity [{e['start']}, {e['end']}) outside the sentence (0 to {length})")
        elif _name(e.get("label"), "entities.label") is None:
            problems.append(
                f"{sid}: unknown entity label {json.dumps(e.get('label'), ensure_ascii=False)} "
                f"(a name or its ClassLabel integer: {_mapping(ENTITY_TYPES)})"
            )
        else:
            out.append({"start": e["start"], "end": e["end"], "label": _name(e["label"], "entities.label")})
            continue
        ok = False
    return out if ok else None


def _check_stance(records: list[dict], source: str) -> None:
    if not any("label" in r for r in records):
        hint = (
            "is this an NER file? (score it with --task ner)"
            if any(k in r for r in records for k in ("ner_tags", "entities"))
            else 'stance lines look like {"id": "000-003", "label": "favor"}'
        )
        raise UserError(f"{source}: no \"label\" key on any line (keys seen: {_keys_seen(records)}); {hint}")


def id_problems(gold: list[dict], records: list[dict]) -> list[str]:
    """Ids repeated in ``records``, missing from them, or not in ``gold``."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r["id"]] = counts.get(r["id"], 0) + 1
    gold_ids = {g["id"] for g in gold}
    problems = []
    duplicate = [i for i, c in counts.items() if c > 1]
    missing = gold_ids - counts.keys()
    extra = counts.keys() - gold_ids
    if duplicate:
        problems.append(f"duplicate ids ({len(duplicate)}): {listing(duplicate)}")
    if missing:
        problems.append(f"missing ids ({len(missing)}): {listing(missing)}")
    if extra:
        problems.append(f"ids not in the gold split ({len(extra)}): {listing(extra)} (another --split or --lang?)")
    return problems


def join_by_id(gold: list[dict], records: list[dict], source: str = "predictions") -> list[dict]:
    """The record of every gold row, in gold order (tasks whose values are checked elsewhere)."""
    fail(source, id_problems(gold, records))
    by_id = {r["id"]: r for r in records}
    return [by_id[g["id"]] for g in gold]


def check_predictions(task: str, gold: list[dict], records: list[dict], source: str = "predictions",
                      tagset: str | None = None) -> list[dict]:
    """The prediction of every gold row, in gold order, with labels as names.

    Integer ``ner_tags`` are ids of the ClassLabel list of ``tagset`` (:data:`INT_TAGS`); without a
    ``tagset`` they are refused, as the fine and the coarse lists share their first ids.

    Returns ``{"id", "ner_tags" | "entities" | "label"}`` dicts. Every problem of the file — ids
    missing, repeated or not in the gold split, lines of another form, wrong values — is
    reported in one :class:`UserError`.
    """
    if task == "stance":
        _check_stance(records, source)
        form = "label"
    else:
        form = _ner_form(records, source)
    problems = id_problems(gold, records)
    by_id: dict[str, dict] = {}
    for r in records:
        by_id.setdefault(r["id"], r)
    out = []
    for g in gold:
        record = by_id.get(g["id"])
        if record is None:
            continue
        value = _check_value(task, form, g, record, problems, tagset)
        out.append({"id": g["id"], form: value})
    fail(source, _int_tags_problems(problems))
    return out


def _check_value(task: str, form: str, gold: dict, record: dict, problems: list[str], tagset: str | None) -> Any:
    sid = gold["id"]
    if task == "stance":
        if "label" not in record:
            problems.append(f"{sid}: no \"label\" key")
        elif _name(record["label"], "label") is None:
            problems.append(
                f"{sid}: label {json.dumps(record['label'], ensure_ascii=False)} is not a stance "
                f"(a name or its ClassLabel integer: {_mapping(STANCE_LABELS)})"
            )
        return _name(record.get("label"), "label")
    other = "entities" if form == "ner_tags" else "ner_tags"
    if other in record:
        both = form in record
        problems.append(
            f"{sid}: " + (f"both \"{form}\" and \"{other}\"" if both else f"\"{other}\" where the file uses \"{form}\"")
            + " (one form on every line)"
        )
        return None
    if form not in record:
        problems.append(f"{sid}: no \"{form}\" key")
        return None
    value = record[form]
    if not isinstance(value, list):
        problems.append(f"{sid}: \"{form}\" must be a list")
        return None
    if form == "ner_tags":
        return _check_tags(sid, value, gold, problems, tagset)
    return _check_entities(sid, value, gold, problems)

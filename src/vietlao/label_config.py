"""The Label Studio labeling config, generated from the label vocabularies and the entity inventory.

The labelling view shows, top to bottom: the document's title and outlet, the two sentences before
(read-only), the entity labels and the sentence being labelled (the only ``Text`` regions are made
in), the two sentences after (read-only), the entity picker of the selected region, and the
stance. The picker is one per-region ``Choices`` control named ``entity_id``: one radio button per
inventory entity, grouped in one ``View`` per linkable type that is visible only when the selected
region has that type, so a PER region lists only people and a DATE region shows no picker at all.
Each choice shows the ID, the name and the forms seen per language; its ``alias`` (the ID) is what
the annotation stores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping
from xml.sax.saxutils import quoteattr

from vietlao.files import atomic_write
from vietlao.corpus.inventory import CanonicalEntity
from vietlao.labels import ENTITY_TYPES, LINKABLE_TYPES, STANCE_LABELS, STANCE_TARGET
from vietlao.paths import project

#: Control tag names, as they appear in ``from_name`` of exported results.
TEXT = "text"
ENTITY_LABELS = "label"
ENTITY_ID = "entity_id"
#: The key of an ``entity_id`` result's value holding the picked ID (a list of one string).
ENTITY_ID_KEY = "choices"
#: The same in exports made with the free-text box that preceded the picker.
ENTITY_ID_LEGACY_KEY = "text"
STANCE = "stance"
#: A read-only note the model's prediction fills with its stance, score and model; never gold (the
#: reader skips it), so a model's stance is never the annotator's answer until they pick it.
STANCE_SUGGESTION = "stance_suggestion"
#: The stance choices' hotkeys: this prefix and their position (shift+1 is the first).
STANCE_HOTKEY_PREFIX = "shift+"
#: Read-only object tags that show the neighbouring sentences (no control points at them).
CONTEXT_BEFORE = "context_before"
CONTEXT_AFTER = "context_after"
#: Task data keys the view shows the annotator besides the sentence (never part of a record).
CONTEXT_KEYS = ("title", "outlet", CONTEXT_BEFORE, CONTEXT_AFTER)

_COLOURS = {
    "PER": "#e6194b", "ORG": "#3cb44b", "GPE": "#4363d8", "LOC": "#f58231",
    "EVENT": "#911eb4", "DATE": "#42d4f4", "MONEY": "#f032e6", "MISC": "#9a6324",
}
_CONTEXT_STYLE = "color: #555; font-size: 90%; border-left: 3px solid #ccc; padding-left: 8px"


def choice_caption(entity: CanonicalEntity) -> str:
    """What the picker shows (and its filter searches) for an entity: ID, name, and per language its
    name there (``names``, such as the Lao one) and the forms seen."""
    per_lang = {lang: list(dict.fromkeys(([entity.names[lang]] if lang in entity.names else [])
                                         + entity.forms.get(lang, [])))
                for lang in sorted(set(entity.forms) | set(entity.names))}
    forms = "; ".join(f"{lang}: {', '.join(fs)}" for lang, fs in per_lang.items() if fs)
    return f"{entity.id} — {entity.name}" + (f" ({forms})" if forms else "")


def _picker(inventory: Mapping[str, CanonicalEntity]) -> str:
    linkable = [t for t in ENTITY_TYPES if t in LINKABLE_TYPES]
    groups = []
    for t in linkable:
        entities = sorted((e for e in inventory.values() if e.type == t), key=lambda e: e.id)
        choices = "\n".join(
            f"        <Choice value={quoteattr(choice_caption(e))} alias={quoteattr(e.id)}/>" for e in entities
        )
        groups.append(
            f'      <View visibleWhen="region-selected" whenLabelValue="{t}">\n'
            f'        <Header value="{t} entities in annotations/entities.yaml" size="6"/>\n'
            f"{choices}\n      </View>"
        )
    body = "\n".join(groups)
    return f"""  <View visibleWhen="region-selected" whenLabelValue="{','.join(linkable)}">
    <Header value="Entity of the selected region (a new entity: add it to annotations/entities.yaml, then push)" size="5"/>
    <Filter name="entity_filter" toName="{ENTITY_ID}" minlength="1" placeholder="Filter by ID, name or form"/>
    <Choices name="{ENTITY_ID}" toName="{TEXT}" perRegion="true" choice="single-radio" required="true"
             whenLabelValue="{','.join(linkable)}" requiredMessage="Pick the entity of every {', '.join(linkable)} span">
{body}
    </Choices>
  </View>"""


def render_label_config(inventory: Mapping[str, CanonicalEntity]) -> str:
    """The labeling config XML: context, entity labels, the entity picker, one required stance."""
    labels = "\n".join(
        f'    <Label value="{t}" background="{_COLOURS[t]}"/>' for t in ENTITY_TYPES
    )
    # fixed hotkeys: Label Studio gives a choice without one the next free key in tree order, so the
    # stance's would move whenever the picker above lists another entity
    choices = "\n".join(f'    <Choice value="{s}" hotkey="{STANCE_HOTKEY_PREFIX}{i}"/>'
                        for i, s in enumerate(STANCE_LABELS, 1))
    target = quoteattr(f"Stance of the sentence toward: {STANCE_TARGET}")
    return f"""<View>
  <Header value="$title" size="4"/>
  <Header value="$outlet · document $doc_id ($lang) · sentence $sentence_id" size="6"/>
  <View style="{_CONTEXT_STYLE}">
    <Text name="{CONTEXT_BEFORE}" value="${CONTEXT_BEFORE}" selectionEnabled="false"/>
  </View>
  <Labels name="{ENTITY_LABELS}" toName="{TEXT}">
{labels}
  </Labels>
  <Text name="{TEXT}" value="$text" granularity="word"/>
  <View style="{_CONTEXT_STYLE}">
    <Text name="{CONTEXT_AFTER}" value="${CONTEXT_AFTER}" selectionEnabled="false"/>
  </View>
{_picker(inventory)}
  <Header value="A model's stance suggestion, if any (read-only, never your answer)" size="6"/>
  <TextArea name="{STANCE_SUGGESTION}" toName="{TEXT}" rows="1" editable="false" maxSubmissions="1"
            placeholder="no suggestion (what is typed here is not read)"/>
  <Header value={target} size="5"/>
  <Choices name="{STANCE}" toName="{TEXT}" choice="single-radio" required="true" showInline="true"
           requiredMessage="Choose the sentence's stance toward {STANCE_TARGET}">
{choices}
  </Choices>
</View>
"""


def read_label_config(path: Path | None = None) -> str:
    """The committed labeling config (default: the project's ``annotations/label_config.xml``)."""
    return (path or project().label_config).read_text(encoding="utf-8")


def write_label_config(config: str, path: Path | None = None) -> bool:
    """Write ``config`` (atomically) unless the file already holds it; whether it changed."""
    path = path or project().label_config
    if path.exists() and read_label_config(path) == config:
        return False
    atomic_write(path, config)
    return True


def entity_id_item(region: object, start: int, end: int, surface: str, entity_id: str) -> dict:
    """The ``entity_id`` picker's per-region choice of ``entity_id`` for the region ``region`` (its
    id) over ``[start, end)`` covering ``surface``: the one form an entity ID is stored in."""
    return {
        "id": region, "from_name": ENTITY_ID, "to_name": TEXT, "type": "choices",
        "value": {"start": start, "end": end, "text": surface, ENTITY_ID_KEY: [entity_id]},
    }


def stance_item(stance: str) -> dict:
    """The :data:`STANCE` choice of a result: the annotator's stance."""
    return {"from_name": STANCE, "to_name": TEXT, "type": "choices", "value": {"choices": [stance]}}


def stance_suggestion_item(stance: str, score: float, model_version: str) -> dict:
    """The :data:`STANCE_SUGGESTION` note of a prediction: the model's stance, its probability and
    the model, read-only in the editor."""
    return {
        "from_name": STANCE_SUGGESTION, "to_name": TEXT, "type": "textarea", "readonly": True,
        "score": score, "value": {"text": [f"{stance} (p = {score:.2f}, model {model_version})"]},
    }

"""The Label Studio labeling config, generated from the label vocabularies, and its control names."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

from vietlao.labels import ENTITY_TYPES, STANCE_LABELS, STANCE_TARGET
from vietlao.paths import project

#: Control tag names, as they appear in ``from_name`` of exported results.
TEXT = "text"
ENTITY_LABELS = "label"
ENTITY_ID = "entity_id"
STANCE = "stance"

_COLOURS = {
    "PER": "#e6194b", "ORG": "#3cb44b", "GPE": "#4363d8", "LOC": "#f58231",
    "EVENT": "#911eb4", "DATE": "#42d4f4", "MONEY": "#f032e6", "MISC": "#9a6324",
}


def render_label_config() -> str:
    """The labeling config XML: entity labels, per-region entity ID, one required stance."""
    labels = "\n".join(
        f'    <Label value="{t}" background="{_COLOURS[t]}"/>' for t in ENTITY_TYPES
    )
    choices = "\n".join(f'    <Choice value="{s}"/>' for s in STANCE_LABELS)
    target = quoteattr(f"Stance toward: {STANCE_TARGET}")
    return f"""<View>
  <Header value="$doc_id · $sentence_id · $lang"/>
  <Labels name="{ENTITY_LABELS}" toName="{TEXT}">
{labels}
  </Labels>
  <Text name="{TEXT}" value="$text" granularity="word"/>
  <View visibleWhen="region-selected">
    <Header value="Canonical entity ID (PER, ORG, GPE, LOC, EVENT), from annotations/entities.yaml"/>
    <TextArea name="{ENTITY_ID}" toName="{TEXT}" perRegion="true" editable="true" maxSubmissions="1" rows="1"/>
  </View>
  <Header value={target}/>
  <Choices name="{STANCE}" toName="{TEXT}" choice="single" required="true" showInline="true">
{choices}
  </Choices>
</View>
"""


def read_label_config(path: Path | None = None) -> str:
    """The committed labeling config (default: the project's ``annotations/label_config.xml``)."""
    return (path or project().label_config).read_text(encoding="utf-8")

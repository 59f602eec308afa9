"""vietlao.corpus.syllables: runs of Lao, Thai, Khmer and Myanmar letters cut into syllables or finer
units, never inside a grapheme cluster, with every word boundary a token boundary."""

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SEA_SCRIPT_TEXT

from vietlao.corpus.segment import tokenize
from vietlao.corpus.syllables import NO_SPACE_RUN, NO_SPACE_SCRIPTS, SCRIPT_BLOCKS, syllable_spans

@given(SEA_SCRIPT_TEXT)
@settings(max_examples=300, deadline=None)
def test_syllables_never_split_a_grapheme_cluster(text):
    for run in regex.finditer(NO_SPACE_RUN, text):
        clusters = {0} | {m.end() for m in regex.finditer(r"\X", run.group())}
        spans = syllable_spans(run.group())
        assert spans[0][0] == 0 and spans[-1][1] == len(run.group())
        assert all(a < b for a, b in spans) and all(x[1] == y[0] for x, y in zip(spans, spans[1:]))
        assert {a for a, _ in spans} <= clusters


#: Names and words per language, glued without spaces as these languages write them.
_WORDS = {
    "lo": ["ນະຄອນຫຼວງ", "ວຽງຈັນ", "ຮ່າໂນ້ຍ", "ລາວ", "ຫວຽດນາມ", "ປະທານປະເທດ", "ທີ່", "ໄດ້ຕ້ອນຮັບ", "ທອງລຸນ", "ສີສຸລິດ", "ໂຕເລິມ"],
    "th": ["กรุง", "เวียงจันทน์", "ฮานอย", "ลาว", "เวียดนาม", "ประเทศ", "ไทย", "นายกรัฐมนตรี", "ที่", "เดินทาง"],
    "km": ["ភ្នំពេញ", "កម្ពុជា", "វៀតណាម", "ឡាវ", "រាជធានី", "នាយករដ្ឋមន្ត្រី", "និង", "ប្រទេស"],
}


@pytest.mark.parametrize("lang", sorted(_WORDS))
@given(data=st.data())
@settings(max_examples=200, deadline=None)
def test_every_word_boundary_is_a_token_boundary(lang, data):
    """The rule behind the syllables: a name glued to its neighbours can still be marked."""
    words = data.draw(st.lists(st.sampled_from(_WORDS[lang]), min_size=1, max_size=6))
    text = "".join(words)
    cuts = {0}
    for w in words:
        cuts.add(max(cuts) + len(w))
    boundaries = {x for t in tokenize(text) for x in (t.start, t.end)}
    assert cuts <= boundaries, [t.text for t in tokenize(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("กรุงเวียงจันทน์", ["ก", "รุ", "ง", "เวีย", "ง", "จั", "นทน์"]),  # Thai character clusters
        ("ភ្នំពេញ។", ["ភ្នំ", "ពេ", "ញ", "។"]),  # Khmer character clusters
        ("ရန်ကုန်", ["ရ", "န်", "ကု", "န်"]),  # Myanmar: grapheme clusters
    ],
)
def test_thai_khmer_myanmar_tokens(text, expected):
    assert [t.text for t in tokenize(text)] == expected


def test_every_character_of_the_syllable_scripts_is_in_their_blocks():
    """What token_offsets' shortcut relies on: no such character, no such letter."""
    everything = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    pattern = "[" + "".join(f"\\p{{{s}}}" for s in NO_SPACE_SCRIPTS) + "]"
    found = {ord(m.group()) for m in regex.finditer(pattern, everything)}
    assert found and all(any(a <= c <= b for a, b in SCRIPT_BLOCKS) for c in found)


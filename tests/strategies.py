"""Hypothesis strategies shared by the segmentation tests."""

from hypothesis import strategies as st

#: Lao, Thai, Khmer and Myanmar letters and marks, with spaces, stops and line breaks between them.
SEA_SCRIPT_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0E00, max_codepoint=0x0EFF),
        st.characters(min_codepoint=0x1780, max_codepoint=0x17FF),
        st.characters(min_codepoint=0x1000, max_codepoint=0x109F),
        st.sampled_from(list(" .!?-\n\u200b\u200c\u200d\u0301aZ5")),
    ),
    max_size=60,
)

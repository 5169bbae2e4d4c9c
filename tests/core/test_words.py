"""``service.core.words``: the spans of chosen words agree with the spans of every word."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from service.core.words import spans, spans_at

TEXTS = st.lists(
    st.sampled_from(["Café", "naïve", "a", "B2", "x", "§", " ", ", ", "-", "\u2019", "\n", "ﬁle"]), max_size=40
)


@settings(deadline=None)  # the first non-ASCII text builds the word pattern (~0.3 s)
@given(pieces=TEXTS, data=st.data())
def test_spans_at_are_those_of_every_word(pieces: list[str], data: st.DataObject) -> None:
    text = "".join(pieces)
    every = spans(text)
    if not every:
        assert spans_at(text, []) == {}
        return
    chosen = data.draw(st.lists(st.integers(0, len(every) - 1), max_size=10))
    assert spans_at(text, chosen) == {index: every[index] for index in chosen}

"""Sentence splitting: the fast splitter applies Punkt's rule and agrees with NLTK Punkt."""

import pytest

from analysis.tokens import sentence_spans


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Putin met U.S. officials. They talked.", ["Mr. Putin met U.S. officials.", "They talked."]),
        (
            "The treaty expires on Feb. 5. Talks begin on Nov. 3 in Geneva.",
            ["The treaty expires on Feb. 5.", "Talks begin on Nov. 3 in Geneva."],
        ),
        ("He said: “We are ready.” Then he left.", ["He said: “We are ready.”", "Then he left."]),
        ("First paragraph without a stop\n\nSecond one.", ["First paragraph without a stop", "Second one."]),
        (
            "“... We don’t target anyone. We are above board,” she said.",
            ["“... We don’t target anyone.", "We are above board,” she said."],
        ),
    ],
)
def test_sentences(text, expected):
    assert [text[s:e] for s, e in sentence_spans(text)] == expected
    assert sentence_spans(text) == sentence_spans(text, method="punkt")


def test_fast_sentences_agree_with_punkt_on_the_seeds(seeds):
    for text in [*seeds["body"], *seeds["dek"]]:
        assert sentence_spans(text) == sentence_spans(text, method="punkt")

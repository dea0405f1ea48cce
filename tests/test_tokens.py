"""Tokens, sentences and voice on the seeds and on tricky hand-made layouts."""

import pandas as pd
import pytest

from analysis.tokens import quote_spans, sentence_spans, tokenize


def _voices(body: str) -> dict[str, str]:
    table = tokenize(pd.DataFrame({"id": ["x"], "body": [body]}))
    return dict(zip(table["token"], table["voice"], strict=True))


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


def test_hyphens_apostrophes_and_initialisms():
    table = tokenize(pd.DataFrame({"id": ["x"], "body": ["The near-fatal poisoning, Kremlin's and Kremlin’s U.S. view."]}))
    assert list(table["token"]) == ["the", "near-fatal", "poisoning", "kremlin's", "and", "kremlin's", "u.s.", "view"]


@pytest.mark.parametrize(
    ("body", "quoted", "narration"),
    [
        ('He called it "reckless" and left.', {"reckless"}, {"he", "called", "left"}),
        ("He called it “reckless,” she said.", {"reckless"}, {"she", "said"}),
        # an apostrophe is never a quote
        ("The two sides’ leaders met at Russia’s request.", set(), {"sides", "leaders", "request"}),
        # a quote never closed ends with its paragraph
        ("“He is going to be frank, she said.\n\nPutin reacted.", {"frank", "she"}, {"putin", "reacted"}),
        # a multi-paragraph quote continues where the next paragraph opens with a quote mark
        ("“We are ready to talk.\n\n“But not at any price,” he said. Then silence.", {"ready", "price"}, {"he", "silence"}),
        # single quotes inside double ones stay quoted; a single-quoted title outside is quoted too
        (
            "He said “the ‘so-called’ talks failed” and the ‘peace plan’ too.",
            {"so-called", "talks", "failed", "plan"},
            {"and", "too"},
        ),
    ],
)
def test_voice_on_tricky_layouts(body, quoted, narration):
    voices = _voices(body)
    assert {t for t in quoted if voices[t] != "quoted"} == set()
    assert {t for t in narration if voices[t] != "narration"} == set()


def test_multi_paragraph_quote_is_one_span():
    text = "“We are ready to talk.\n\n“But not at any price,” he said."
    spans = quote_spans(text)
    assert len(spans) == 1 and spans[0].closed
    assert text[spans[0].start : spans[0].end] == "“We are ready to talk.\n\n“But not at any price,”"


def test_unclosed_quote_in_seed_001(seeds):
    body = seeds.loc["001_1c81a1ac3e2b06c4", "body"]
    unclosed = [q for q in quote_spans(body) if not q.closed]
    assert len(unclosed) == 1
    assert body[unclosed[0].start : unclosed[0].end] == "“He’s going to be very frank and open about (Putin)."


def test_seed_voice_cases(seeds):
    table = tokenize(seeds)
    voice = table.groupby(["article_id", "token"], observed=True)["voice"].agg(set)
    assert voice[("000_17a576a99f91630e", "reckless")] == {"quoted"}
    for word in ("alleged", "leftist"):
        assert voice[("000_17a576a99f91630e", word)] == {"narration"}
    for word in ("rebuffing", "furiously", "hawkish", "diktats"):
        assert voice[("002_3e3933a9d7f1d525", word)] == {"narration"}
    # seed 003's stray ‘ before “absolutely” must not swallow the rest of the paragraph
    assert voice[("003_f2869a96b21043eb", "absolutely")] == {"quoted"}
    assert voice[("003_f2869a96b21043eb", "internal")] == {"narration"}


def test_offsets_lead_back_to_the_text(seeds):
    table = tokenize(seeds)
    bodies = seeds.set_index("id")["body"]
    for row in table.sample(300, random_state=0).itertuples():
        assert bodies[row.article_id][row.start : row.end].lower().replace("’", "'") == row.token
    assert len(table) == seeds["n_tokens"].sum()
    assert table.groupby("article_id")["sentence"].max().min() > 5

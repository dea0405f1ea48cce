import random
import re

import pandas as pd
import pytest

from analysis.tokens import (
    QuoteSpan,
    count_words,
    paragraph_spans,
    quote_spans,
    sentence_spans,
    tokenize,
    word_spans,
)


def _sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _voices(text: str) -> dict[str, str]:
    table = tokenize(pd.DataFrame({"id": ["x"], "body": [text]}))
    return dict(zip(table["token"], table["voice"].astype(str), strict=True))


def _seed_tokens(seeds: pd.DataFrame, prefix: str) -> pd.DataFrame:
    article = seeds.loc[seeds["id"].str.startswith(prefix)]
    assert len(article) == 1
    return tokenize(article)


# --- words -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a near-fatal poisoning", ["a", "near-fatal", "poisoning"]),
        ("the Kremlin's view", ["the", "Kremlin's", "view"]),
        ("the Kremlin’s view", ["the", "Kremlin’s", "view"]),
        ("U.S. officials said", ["U.S.", "officials", "said"]),
        ("the two sides’ leaders", ["the", "two", "sides", "leaders"]),
    ],
)
def test_word_spans(text, words):
    assert [text[s:e] for s, e in word_spans(text)] == words
    assert count_words(text) == len(words)


# --- sentences -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Putin spoke to reporters. He was calm.",
        "U.S. officials declined to comment. They left.",
        "The talks began on Feb. 5 in Geneva. They ended late.",
        "The vote on Nov. 3 was close. Both sides claimed it.",
        "Dr. Smith and Gen. Milley met Sen. Jones. Nothing was agreed.",
    ],
)
def test_abbreviations_do_not_end_sentences(text):
    first, second = text.split(". ", 1)[0], text.rsplit(". ", 1)[1]
    sentences = _sentences(text)
    assert len(sentences) == 2, sentences
    assert sentences[0].startswith(first) and sentences[1] == second


def test_paragraph_break_always_ends_a_sentence():
    text = "A line without a stop\n\nAnother paragraph. With two sentences."
    assert _sentences(text) == ["A line without a stop", "Another paragraph.", "With two sentences."]
    assert [text[s:e] for s, e in paragraph_spans(text)] == [
        "A line without a stop",
        "Another paragraph. With two sentences.",
    ]


def test_sentences_of_the_seeds_stay_inside_paragraphs(seeds):
    for body in seeds["body"]:
        paragraphs = paragraph_spans(body)
        spans = sentence_spans(body)
        assert spans == sorted(spans)
        assert all(any(ps <= s and e <= pe for ps, pe in paragraphs) for s, e in spans)
        assert not any(body[s:e].endswith((" Mr.", " Feb.", " Nov.", " U.S.")) for s, e in spans)


# --- quotations ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'Officials called it "reckless" in a statement.',
        "Officials called it “reckless” in a statement.",
    ],
)
def test_straight_and_curly_double_quotes(text):
    (quote,) = quote_spans(text)
    assert text[quote.start : quote.end].strip('"“”') == "reckless"
    assert quote == QuoteSpan(quote.start, quote.end, 0, True, 0)
    voices = _voices(text)
    assert voices["reckless"] == "quoted"
    assert voices["officials"] == voices["statement"] == "narration"


def test_multi_paragraph_quote_continues_when_next_paragraph_opens_with_a_mark():
    text = "He said: “We will never agree.\n\n“Never, ever,” he added.\n\nThen silence."
    (quote,) = quote_spans(text)
    assert quote.closed and text[quote.start : quote.end].endswith("ever,”")
    voices = _voices(text)
    assert voices["agree"] == voices["never"] == voices["ever"] == "quoted"
    assert voices["added"] == voices["silence"] == "narration"


def test_multi_paragraph_quote_with_straight_quotes():
    text = 'He said: "We will never agree.\n\n"Never," he added.'
    (quote,) = quote_spans(text)
    assert quote.closed and quote.end == text.index("he added") - 1
    assert _voices(text)["added"] == "narration"


def test_unclosed_quote_ends_with_its_paragraph():
    text = "She warned: “It will be bad.\n\nOfficials disagreed."
    (quote,) = quote_spans(text)
    assert not quote.closed and quote.end == text.index("\n\n")
    voices = _voices(text)
    assert voices["bad"] == "quoted" and voices["officials"] == "narration"


def test_single_quotes_inside_double_quotes():
    text = "He said “the so-called ‘peace plan’ is dead,” and left."
    outer, inner = quote_spans(text)
    assert (outer.depth, inner.depth) == (0, 1)
    assert text[inner.start : inner.end] == "‘peace plan’"
    assert outer.start < inner.start < inner.end < outer.end
    voices = _voices(text)
    assert voices["plan"] == voices["dead"] == "quoted"
    assert voices["left"] == "narration"


@pytest.mark.parametrize(
    "text",
    [
        "The two sides’ leaders met in Russia’s capital.",
        "The two sides' leaders met in Russia's capital.",
        "Its ’90s policy and the ministers’ ‘bold’ rhetoric.",
    ],
)
def test_apostrophes_are_never_quotes(text):
    spans = quote_spans(text)
    assert all(text[q.start : q.end] == "‘bold’" for q in spans)
    assert _voices(text)["leaders" if "leaders" in text else "rhetoric"] == "narration"


def test_quote_ids_number_quotes_in_text_order():
    text = "“One,” he said. “Two,” she said.\n\n“Three."
    spans = quote_spans(text)
    assert [q.quote_id for q in spans] == [0, 1, 2]
    assert [q.closed for q in spans] == [True, True, False]
    table = tokenize(pd.DataFrame({"id": ["x"], "body": [text]}))
    assert table.set_index("token")["quote_id"].to_dict() == {"one": 0, "he": -1, "said": -1, "two": 1, "she": -1, "three": 2}


# --- the seeds ---------------------------------------------------------------


def test_tass_voice(seeds):
    table = _seed_tokens(seeds, "000_")
    voice = table.groupby("token")["voice"].agg(set)
    assert voice["reckless"] == {"quoted"}
    assert voice["alleged"] == {"narration"}
    assert voice["leftist"] == {"narration"}


def test_press_tv_voice(seeds):
    table = _seed_tokens(seeds, "002_")
    voice = table.groupby("token")["voice"].agg(set)
    for word in ("rebuffing", "furiously", "hawkish", "diktats"):
        assert voice[word] == {"narration"}, word


def test_seed_001_unclosed_quote_stops_at_its_paragraph(seeds):
    body = seeds.loc[seeds["id"].str.startswith("001_"), "body"].iloc[0]
    opening = body.index("“He’s going to be very frank")
    (quote,) = [q for q in quote_spans(body) if q.start == opening]
    assert not quote.closed
    assert quote.end == body.index("\n\n", opening)
    table = _seed_tokens(seeds, "001_")
    after = table[table["start"] > quote.end].iloc[0]
    assert after["token"] == "putin" and after["voice"] == "narration"


def test_seed_003_stray_single_quote_stays_in_its_paragraph(seeds):
    body = seeds.loc[seeds["id"].str.startswith("003_"), "body"].iloc[0]
    stray = body.index("‘interfered")
    paragraph_end = body.index("\n\n", stray)
    assert all(q.end <= paragraph_end for q in quote_spans(body) if q.start < paragraph_end and q.end > stray)
    table = _seed_tokens(seeds, "003_")
    voice = table.set_index("start")["voice"]
    assert voice[body.index("absolutely", stray)] == "quoted"
    assert voice[body.index("internal affairs", stray)] == "narration"
    assert voice[body.index("Peskov also")] == "narration"


# --- the token table -------------------------------------------------------


def test_token_table_columns_and_offsets(seeds):
    table = tokenize(seeds)
    assert list(table.columns) == ["article_id", "start", "end", "token", "sentence", "paragraph", "voice", "quote_id"]
    assert set(table["article_id"]) == set(seeds["id"])
    bodies = seeds.set_index("id")["body"]
    for row in table.itertuples():
        assert bodies[row.article_id][row.start : row.end].lower().replace("’", "'") == row.token
    assert ((table["quote_id"] >= 0) == (table["voice"] == "quoted")).all()
    for _, article in table.groupby("article_id"):
        assert article["sentence"].iloc[0] == 0 and article["paragraph"].iloc[0] == 0
        assert article["sentence"].is_monotonic_increasing and article["paragraph"].is_monotonic_increasing
        assert (article["sentence"] >= article["paragraph"]).all()
    counts = table.groupby("article_id").size()
    assert all(counts[i] == count_words(bodies[i]) for i in counts.index)


def test_token_table_sentence_and_paragraph_numbers():
    text = "Mr. Putin spoke. He left.\n\nU.S. officials “waited.”"
    table = tokenize(pd.DataFrame({"id": [7], "body": [text]}))
    assert table["article_id"].tolist() == ["7"] * 8
    assert table["sentence"].tolist() == [0, 0, 0, 1, 1, 2, 2, 2]
    assert table["paragraph"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1]
    assert table["voice"].astype(str).tolist() == ["narration"] * 7 + ["quoted"]


def test_tokenize_headlines_and_empty_input():
    articles = pd.DataFrame({"id": ["a", "b"], "body": ["x", None], "headline": ["Putin’s “red line”", ""]})
    table = tokenize(articles, text_column="headline")
    assert table["token"].tolist() == ["putin's", "red", "line"]
    assert table["voice"].astype(str).tolist() == ["narration", "quoted", "quoted"]
    empty = tokenize(articles.iloc[:0])
    assert empty.empty and list(empty.columns) == list(table.columns)


def test_articles_scanned_together_equal_articles_scanned_alone(seeds, monkeypatch):
    # An unclosed quote ending one article must not continue into a next article that opens
    # with a quote mark; sentences, paragraphs and quote ids restart in every article.
    tricky = pd.DataFrame(
        {
            "id": ["end-open", "start-quote", "empty", "missing", "straight"],
            "body": ["He said “it is over", "“Not yet,” she said. Mr. Smith agreed.", "", None, "\"One\"\n\n'two'"],
        }
    )
    articles = pd.concat([seeds, tricky, seeds.iloc[:2].assign(id=["again-1", "again-2"])], ignore_index=True)
    alone = pd.concat([tokenize(articles.iloc[[i]]) for i in range(len(articles))], ignore_index=True)
    pd.testing.assert_frame_equal(tokenize(articles), alone)
    monkeypatch.setattr("analysis.tokens._BATCH_CHARS", 300)  # many batches, some of one article
    pd.testing.assert_frame_equal(tokenize(articles), alone)
    second = tokenize(tricky.iloc[[1]])
    assert second["quote_id"].iloc[0] == 0 and second["sentence"].iloc[0] == 0


def test_tokenize_names_a_missing_column(seeds):
    with pytest.raises(KeyError, match="'lede'"):
        tokenize(seeds, text_column="lede")


@pytest.mark.parametrize(
    "text",
    [
        "İstanbul’s ÉLAN naïve café 42nd ½ Ⅻ x²",
        "snake_case words_ _x_ a\x00b",
        "U.S.-led K.G.B. e.g. a.m. ’90s",
        "Straße ΣΊΣΥΦΟΣ ﬁne",
        "中文 日本語 한국어 عربي",
        "tab\tnew\nline, emoji 👍🏽 ok",
    ],
)
def test_words_found_in_numpy_match_word_pattern(text):
    # tokenize finds words with numpy over code points; WORD_PATTERN (Python re) is the definition.
    table = tokenize(pd.DataFrame({"id": ["x"], "body": [text]}))
    assert [(s, e) for s, e in zip(table["start"], table["end"], strict=True)] == word_spans(text)
    lowered = text.replace("İ", "I").lower().replace("’", "'")  # İ lowercases to i and a dot
    assert table["token"].tolist() == [lowered[s:e] for s, e in word_spans(text)]


def test_words_found_in_numpy_match_word_pattern_on_the_seeds(seeds):
    table = tokenize(seeds)
    for article_id, body in zip(seeds["id"], seeds["body"], strict=True):
        words = table.loc[table["article_id"] == article_id, ["start", "end"]]
        assert list(zip(words["start"], words["end"], strict=True)) == word_spans(body)


def test_sentence_method_is_checked():
    with pytest.raises(ValueError, match="'fast' or 'punkt'"):
        sentence_spans("One. Two.", method="nltk")


# The definition of a candidate sentence end that _sentence_ends computes in numpy.
SENTENCE_END = re.compile(r"[.!?](?:(?<=[!?])[!?]*|(?<!\.\.)(?!\.))[”\"’)\]]*(\s+)(?=\S)")
# Pieces that make the hard cases: initialisms, joiners, ellipses, closers, odd spaces and letters.
PIECES = [
    *"aAbZ9 .!?)]\xa0\x1c\n''\"“”‘’-—(/éİ_²K\t",
    "\n\n",
    "U.S.",
    "a.b.",
    " x.",
    "’s",
    "e.g.",
    "...",
    "?!",
    ".”  ",
    "Mr.",
    "“U.S.",
    "👍",
]


def _random_texts(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def test_numpy_words_and_sentence_ends_match_their_regular_expressions_on_random_text():
    from analysis.tokens import _code_points, _sentence_ends, _word_bounds

    for text in _random_texts(5_000):
        codes = _code_points(text)
        assert list(zip(*(a.tolist() for a in _word_bounds(codes)), strict=True)) == word_spans(text), text
        expected = [(m.start(), *m.span(1)) for m in SENTENCE_END.finditer(text)]
        assert list(zip(*(a.tolist() for a in _sentence_ends(codes)), strict=True)) == expected, text


def test_random_text_scanned_together_equals_each_text_alone():
    texts = _random_texts(300, seed=1)
    together = tokenize(pd.DataFrame({"id": [str(i) for i in range(len(texts))], "body": texts}))
    for i, text in enumerate(texts):
        alone = tokenize(pd.DataFrame({"id": [str(i)], "body": [text]}))
        pd.testing.assert_frame_equal(together[together["article_id"] == str(i)].reset_index(drop=True), alone)


def test_word_frequencies_count_what_the_word_pattern_finds():
    from collections import Counter

    from analysis.corpus import load_corpus
    from analysis.tokens import WORD_PATTERN, word_frequencies

    seeds = load_corpus()
    texts = [*seeds["raw"], *seeds["body"], "", "U.S.-led talks’ end", "x" * 3, "İstanbul ΣΑΣ e.g. 3.5", "🙂 emoji 🙂word"]
    texts += [text * 40 for text in seeds["raw"]]  # more than one batch
    frequencies, lengths = word_frequencies(texts)
    assert lengths == [len(WORD_PATTERN.findall(text)) for text in texts]
    assert frequencies == dict(Counter(word for text in texts for word in WORD_PATTERN.findall(text)))

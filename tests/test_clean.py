import pytest

from analysis import clean
from analysis.outlets import load_profiles


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('He said "it\'s over," and left.', "He said “it’s over,” and left."),
        ("the two sides' leaders", "the two sides’ leaders"),
        ("«Non» and „ja“", "“Non” and “ja“"),
        ("``TeX'' quotes", "“TeX” quotes"),
        ("‘interfered “absolutely” in", "‘interfered “absolutely” in"),
    ],
)
def test_normalize_quotes(text, expected):
    assert clean.normalize_quotes(text) == expected


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ALSO READ:  U.S Helsinki Commission: everything must be done to contain the Putin regime", "related-story link"),
        ("News   /   Foreign Policy   /   Russia", "breadcrumb"),
        ("Tuesday, November 28, 2023", "date line (page or scrape date, not the publication date)"),
        ("- Advertisement -spot_img", "advertisement"),
        ("Please enter your comment!", "comment form"),
        ("SHARE THIS ARTICLE", "share buttons"),
        ("Share this on", "share buttons"),
        ("Leave a comment", "comment form"),
        ("www.presstv.co.uk", "web address"),
        ("Putin meets Biden in Geneva. (Photo by Reuters)", "photo caption"),
        ("Must read", "navigation"),
    ],
)
def test_generic_chrome(line, reason):
    assert clean.chrome_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Russia is ready to set up a dialogue with the new Biden administration.",
        "Mr. Putin was one of the last global leaders to congratulate Joe Biden.",
        "Home secretary says the plan is ready.",
        "“Of course, these posts are inappropriate,” Peskov said.",
        "The talks were held on March 22, 2021, in Moscow.",
    ],
)
def test_article_text_is_not_chrome(line):
    assert clean.chrome_reason(line) is None


def test_outlet_chrome_is_tried_first():
    profile = load_profiles()["WCE News"]
    assert clean.chrome_reason("Europe International International News", profile) == "site furniture (WCE News profile)"
    assert clean.chrome_reason("Europe International International News") is None


@pytest.mark.parametrize(
    ("paragraph", "dateline", "rest"),
    [
        (
            "WASHINGTON, March 31. /TASS/. A total of 27 US organizations",
            "WASHINGTON, March 31. /TASS/.",
            "A total of 27 US organizations",
        ),
        ("MOSCOW (Reuters) - The Kremlin said", "MOSCOW (Reuters) -", "The Kremlin said"),
        ("BEIJING, March 22 (Xinhua) -- China said", "BEIJING, March 22 (Xinhua) --", "China said"),
        ("GENEVA — Ministers met", "GENEVA —", "Ministers met"),
        ("US President Joe Biden earlier said", "", "US President Joe Biden earlier said"),
        ("NATO allies met on Monday", "", "NATO allies met on Monday"),
    ],
)
def test_split_dateline(paragraph, dateline, rest):
    assert clean.split_dateline(paragraph) == (dateline, rest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the two sides at oddsover Russia", "the two sides at odds over Russia"),
        ("meddling inU.S. elections", "meddling in U.S. elections"),
        ("on TV byInterfax news agency", "on TV by Interfax news agency"),
        ("set up adialogue with", "set up a dialogue with"),
        ("“a dialogue,”Kremlin spokesman", "“a dialogue,” Kremlin spokesman"),
        # words a list knows, names and rare words stay whole
        (
            "diktats, multipolar, jeopardising, Sundayy’s, iPhone, YouTube",
            "diktats, multipolar, jeopardising, Sundayy’s, iPhone, YouTube",
        ),
    ],
)
def test_repair_glued_words(text, expected):
    assert clean.repair_glued_words(text, {})[0] == expected


def test_repairs_are_recorded():
    _, repairs = clean.repair_glued_words("usedagainst them", {})
    assert repairs == [{"original": "usedagainst", "repaired": "used against", "reason": "glued words"}]


def test_corpus_vocabulary_vouches_for_rare_parts():
    # "navalny" is rare in the word list; seen twice in the corpus it may be a half of a glued word
    assert clean.repair_glued_words("supportednavalny", {})[0] == "supportednavalny"
    assert clean.repair_glued_words("supportednavalny", {"navalny": 3})[0] == "supported navalny"


def test_clean_article_records_every_removal():
    raw = "All news\n\nTitle of the story here\n\nMOSCOW (Reuters) - First paragraph of text here.\n\nSecond one.\n\nShare this on\n"
    parts = clean.clean_article(raw)
    assert parts.headline == "Title of the story here"
    assert parts.dateline == "MOSCOW (Reuters) —"
    assert parts.body == "First paragraph of text here.\n\nSecond one."
    assert [r["text"] for r in parts.removed] == ["All news", "Share this on"]

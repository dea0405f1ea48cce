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


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # the kinds of furniture found on real pages of outlets without a profile (lines written for the tests)
        ("Also on harbourherald.example: Ferry timetable changes", "related-story link"),
        ("With your current subscription plan you can comment on stories and follow writers.", "subscription or comment widget"),
        ("Join the conversation", "subscription or comment widget"),
        ("Ships wait near the straits on Thursday. (Jane Doe/PA)", "photo caption or credit"),
        ("Camera Icon Ships at anchor off the port.", "photo caption or credit"),
        ("Ministers shake hands in Ankara on Friday. PHOTO: AFP", "photo caption or credit"),
        ("FILE - In this July 1, 2022, file photo, ships wait. (AP Photo/Jane Doe, File)", "photo caption or credit"),
        ("- By Jane Doe and John Roe", "byline or agency credit"),
        ("Jane Doe in Istanbul contributed.", "byline or agency credit"),
        ("dpa (TNS)", "byline or agency credit"),
        ("(Reporting by Jane Doe; Editing by John Roe)", "byline or agency credit"),
        (
            "(This story has not been edited by Harbour Herald staff and is auto-generated from a syndicated feed.)",
            "syndication notice",
        ),
        ("Distributed by Example Content Agency, LLC.", "syndication notice"),
        ("icon bookmark-bicon bookmarkicon cameraicon checkicon", "icon or menu text"),
        ("Accessibility links", "icon or menu text"),
        ("Get short URL", "icon or menu text"),
        ("Harbour Herald Logo", "icon or menu text"),
        ("↧", "icon or menu text"),
        ("22 July 2022    Read: 1757", "page date, time stamp or read counter"),
        ("Fri 22nd July 2022 | 06:40 PM", "page date, time stamp or read counter"),
        ("• 10:10", "page date, time stamp or read counter"),
        ("Advertisement 1", "advertisement"),
        ("Listen Live", "subscription or comment widget"),
    ],
)
def test_furniture_kinds_of_real_pages(line, reason):
    assert clean.chrome_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "By Friday, the two sides had agreed to meet again in Istanbul.",
        "The company unveiled its new logo on Monday.",
        "Return of diplomats",
        "Ministers said the corridor would open to the press next week.",
        "Why did the ships wait so long?",
        "Officials contributed to the fund, the ministry said.",
    ],
)
def test_story_lines_of_the_same_shapes_are_not_furniture(line):
    assert clean.chrome_reason(line) is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # what most news sites print around a story, beyond the kinds seen on the development pages
        ("Privacy Policy", "icon or menu text"),
        ("Please enable JavaScript to view the comments", "icon or menu text"),
        ("Report an error", "icon or menu text"),
        ("Enter your email address", "subscription or comment widget"),
        ("Already a subscriber? Log in", "subscription or comment widget"),
        ("You have reached your limit of free articles this month.", "subscription or comment widget"),
        ("Join our WhatsApp channel", "subscription or comment widget"),
        ("Comments are closed.", "subscription or comment widget"),
        ("Story continues below advertisement", "advertisement"),
        ("Article continues below", "advertisement"),
        ("Around the web", "advertisement"),
        ("WATCH: Ministers shake hands in Ankara", "media or section label"),
        ("Also Read | Ferry timetable changes for the summer", "media or section label"),
        ("Editor's Picks", "media or section label"),
        ("Live Updates", "media or section label"),
        ("Image 1 of 5", "photo caption or credit"),
        ("Getty Images", "photo caption or credit"),
        ("This material may not be published, broadcast, rewritten or redistributed.", "syndication notice"),
        ("Our Standards: The Harbour Trust Principles.", "syndication notice"),
        ("First published on July 22, 2022", "page date, time stamp or read counter"),
        ("(With inputs from PTI)", "byline or agency credit"),
        ("Reuters contributed to this report.", "byline or agency credit"),
        ("— AFP", "byline or agency credit"),
        ("Press Trust of India", "byline or agency credit"),
        ("Edited by Jane Doe", "byline or agency credit"),
    ],
)
def test_furniture_most_news_sites_print(line, reason):
    assert clean.chrome_reason(line) == reason


@pytest.mark.parametrize(
    "line",
    [
        "Watch officials closely, the minister told reporters on Friday.",
        "More than 200 people were detained at the rally.",
        "Top officials of both countries met in Geneva.",
        "Live ammunition was not used, the police said.",
        "Discussion of the treaty continued late into the night.",
        "Summary trials of protesters followed within days.",
        "Reuters reported that the talks would resume on Monday.",
        "Edited footage of the meeting was shown on state television.",
    ],
)
def test_story_lines_that_begin_like_site_furniture_stay(line):
    assert clean.chrome_reason(line) is None


def test_furniture_data_file_reasons_and_bylines():
    assert "byline or agency credit" in clean.BYLINE_REASONS
    assert {reason for reason, _ in clean.GENERIC_CHROME} >= {"syndication notice", "icon or menu text", "advertisement"}


STORY = [
    "Ministers of the two countries agreed on Friday to resume talks on grain exports after a month of delays at sea.",
    "",
    "Return of the ships",
    "",
    "The first cargo ship could leave the port within days if the corridor holds, officials in the capital said.",
]


def test_related_list_after_a_header_goes_with_it():
    lines = [*STORY, "", "ALSO READ", "Ferry timetable changes for the summer", "Port workers vote on new pay offer"]
    kept, removed = clean.strip_chrome(lines)
    assert "Return of the ships" in kept and STORY[-1] in kept
    assert {r["text"]: r["reason"] for r in removed} == {
        "ALSO READ": "related-story link",
        "Ferry timetable changes for the summer": "related-story link (in a list after a header)",
        "Port workers vote on new pay offer": "related-story link (in a list after a header)",
    }


def test_run_of_title_like_lines_inside_an_article_is_a_list():
    links = ["Port strike ends", "Weather warning for the coast", "Ferry prices rise again"]
    kept, removed = clean.strip_chrome(
        [STORY[0], "", *links, "", STORY[4], *STORY[1:4], "Officials expect more ships next week."]
    )
    assert [r["text"] for r in removed] == links
    assert {r["reason"] for r in removed} == {"list of short title-like lines (links or menu)"}
    assert "Return of the ships" in kept  # a lone subheading stays


def test_justext_drops_a_short_line_among_boilerplate_but_keeps_story():
    lines = [*STORY, "", "Harbour Herald Media Group Ltd Registered Office Dock Road"]
    kept, removed = clean.strip_chrome(lines)
    assert kept[-1] == STORY[-1]
    assert removed == [
        {
            "text": "Harbour Herald Media Group Ltd Registered Office Dock Road",
            "reason": "boilerplate (jusText: a short line among boilerplate)",
        }
    ]
    # without stop words for the language, the classifier does not run
    assert clean.strip_chrome(lines, language="xx")[0][-1] == lines[-1]


def test_justext_classes_come_from_the_package():
    classes = clean.justext_classes([STORY[0], "Menu Home News"], clean.stoplist("en"))
    assert [c[0] for c in classes] == ["neargood", "short"]
    assert clean.stoplist("fr") is not None and clean.stoplist("xx") is None


def test_repeated_lines_are_furniture_only_across_different_stories():
    subscribe = "Subscribe to the Harbour Herald from 1 pound a week"
    pages = [
        ("harbourherald.example", f"Grain talks resume\n{subscribe}\nMinisters met on Friday."),
        ("harbourherald.example", f"Port strike ends\n{subscribe}\nWorkers voted to accept the offer."),
        ("other.example", f"Grain talks resume\n{subscribe}\nMinisters met on Friday."),
    ]
    found = clean.repeated_lines(pages)
    assert list(found) == ["harbourherald.example"]
    assert found["harbourherald.example"] == {
        clean._letters_key(subscribe): "repeated on 2 pages of harbourherald.example (site furniture)"
    }
    # two versions of one story share their sentences: none of them is furniture
    update = [
        ("x.example", "Talks resume\nMinisters met on Friday.\nThey agreed to meet again."),
        ("x.example", "Talks resume\nMinisters met on Friday.\nThey agreed to meet again.\nA third line."),
    ]
    assert clean.repeated_lines(update) == {}


def test_a_line_with_only_the_site_name_is_furniture():
    kept, removed = clean.strip_chrome([*STORY, "The Harbour-Herald"], site_names=["The Harbour Herald", "harbourherald.example"])
    assert removed == [{"text": "The Harbour-Herald", "reason": "site name"}]
    assert [line for line in kept if line] == [line for line in STORY if line]


LEAD = "Ministers of the two countries agreed on Friday to resume talks on grain exports, officials said."
SECOND = "The first cargo ship could leave the port within days if the corridor holds, the ministry added."


@pytest.mark.parametrize(
    ("first", "headline"),
    [
        ("Ministers agree to resume grain talks", "Ministers agree to resume grain talks"),
        ("Why did the ships wait so long?", "Why did the ships wait so long?"),
        ("Grain deal reached with U.S.", "Grain deal reached with U.S."),
        # the lead's first sentence is no headline: the page has none
        ("Ministers agreed on Friday to resume talks on grain.", ""),
        ("ANKARA (Reuters) - Ministers agreed on Friday to resume talks", ""),
        ("Exports: ministers agreed on Friday to resume talks on grain exports.", ""),
    ],
)
def test_headline_is_never_the_leads_first_sentence(first, headline):
    parts = clean.clean_article(f"{first}\n\n{LEAD}\n\n{SECOND}")
    assert parts.headline == headline
    assert (first in parts.body or "Ministers agreed on Friday" in parts.body) if not headline else first not in parts.body


def test_no_headline_means_no_dek():
    parts = clean.clean_article(
        f"{LEAD}\n\n{SECOND}\n\nA third paragraph of the story follows here.", profile=load_profiles()["RT"]
    )
    assert parts.headline == "" and parts.dek == "" and parts.body.startswith("Ministers of the two")


def test_a_byline_run_into_the_headline_goes_to_the_byline():
    raw = f"Ministers agree to resume grain talks -ministryReuters | Ankara | Updated: 22-07-2022 10:09 IST\n{LEAD}\n{SECOND}"
    parts = clean.clean_article(raw)
    assert parts.headline == "Ministers agree to resume grain talks -ministry"
    assert parts.byline == "Reuters | Ankara"
    assert parts.body.startswith("Ministers of the two")


def test_a_site_name_suffix_leaves_the_headline():
    parts = clean.clean_article(
        f"Ministers agree to resume grain talks | Harbour Herald\n\n{LEAD}\n\n{SECOND}", site_names=["Harbour Herald"]
    )
    assert parts.headline == "Ministers agree to resume grain talks"
    assert {"text": "| Harbour Herald", "reason": "site name in headline"} in parts.removed


def test_bylines_and_credits_go_to_the_byline_column():
    raw = "\n\n".join(
        [
            "Ministers agree to resume grain talks",
            "- By Jane Doe and John Roe",
            LEAD,
            SECOND + " (Reporting by Jane Doe; Editing by John Roe)",
            "Ali Veli in Istanbul contributed.",
        ]
    )
    parts = clean.clean_article(raw)
    assert (
        parts.byline
        == "- By Jane Doe and John Roe; Ali Veli in Istanbul contributed.; (Reporting by Jane Doe; Editing by John Roe)"
    )
    assert parts.body == f"{LEAD}\n\n{SECOND}"
    assert {r["reason"] for r in parts.removed} == {"byline or agency credit"}


def test_a_given_title_keeps_the_first_paragraph_in_the_body():
    """A table's title is the headline; the lead is not a dek even where the profile says the outlet has one."""
    rt = load_profiles()["RT"]
    parts = clean.clean_article(f"{LEAD}\n\n{SECOND}\n\nA third paragraph.", profile=rt, title="Grain talks resume in Ankara")
    assert parts.headline == "Grain talks resume in Ankara" and parts.dek == "" and parts.body.startswith(LEAD)
    # a paragraph repeating the title, and a given dek, still leave the body
    given = clean.clean_article(
        f"Grain talks resume in Ankara\n\nTalks are back on.\n\n{LEAD}\n\n{SECOND}",
        profile=rt,
        title="Grain talks resume in Ankara",
        dek="Talks are back on.",
    )
    assert given.dek == "Talks are back on." and given.body.startswith(LEAD)
    assert [r["reason"] for r in given.removed] == [
        "headline (given by the manifest or the page title)",
        "dek (given by the manifest or table)",
    ]


HARD_WRAPPED = """Grain talks resume in the capital
By Staff Writer
ANKARA (Wire) - Negotiators from both countries met on Tuesday and agreed to keep talking about the corridor, officials from both delegations told reporters after the session ended late in the evening.
"We will press for the inspection of ships at the ports of Odesa, Mykolaiv,
Chornomorsk and the Danube," the Turkish Deputy Minister told his Ukrainian
counterparts in a highly unusual extended opening statement before the
cameras. The Russian envoy replied with a speech of 20 minutes in
Russian while the others waited for translation, criticising what
he called the failure of the West to lift sanctions on farm exports.
Read more:
Wheat prices fall
Port strikes end
"""


def test_hard_wrapped_prose_is_never_taken_for_a_list_of_links():
    article = clean.clean_article(HARD_WRAPPED)
    reasons = {r["text"]: r["reason"] for r in article.removed}
    assert set(reasons) == {"By Staff Writer", "Read more:", "Wheat prices fall", "Port strikes end"}
    for line in HARD_WRAPPED.splitlines()[3:9]:  # every wrapped line of the story stays
        assert " ".join(line.replace('"', "").split()[1:-1]) in article.body.replace("“", "").replace("”", "")


# ---------------------------------------------------------------------------
# The faster forms of the cleaning steps give what the plain forms give (issue 20, item 2)
# ---------------------------------------------------------------------------


def _fixture_lines() -> list[str]:
    """Every line of the seed pages and the fixture corpora's pages, whitespace-normalised."""
    from pathlib import Path

    from analysis.paths import SEEDS

    fixtures = Path(__file__).parent / "fixtures"
    files = [*SEEDS.glob("*.txt"), *(fixtures / "gold").glob("*.txt"), *(fixtures / "malformed").glob("*.txt")]
    files += [*(fixtures / "reuse").glob("*.txt")]
    lines = []
    for file in files:
        text = file.read_bytes().decode("utf-8", "replace")
        lines += [line for line in clean.normalize_whitespace(text).split("\n") if line]
    return lines


def test_justext_classes_equal_the_packages_classifier():
    from types import SimpleNamespace

    from justext.core import classify_paragraphs, revise_paragraph_classification
    from justext.paragraph import Paragraph

    lines = _fixture_lines()
    lines += ["© 2024 Harbour Herald", "&copy; all rights", "", "Menu", " ".join(lines[:40])]
    stopwords = clean.stoplist("en")
    blocks = []
    for i, text in enumerate(lines):
        block = Paragraph(SimpleNamespace(dom="body.p", xpath=f"/html[1]/body[1]/p[{i + 1}]"))
        block.text_nodes.append(text)
        blocks.append(block)
    classify_paragraphs(blocks, stopwords, no_headings=True)
    revise_paragraph_classification(blocks)
    expected = [(b.cf_class, b.class_type, b.stopwords_density(stopwords)) for b in blocks]
    assert clean.justext_classes(lines, stopwords) == expected


def test_joined_chrome_patterns_find_what_each_pattern_finds():
    profiles = load_profiles()
    lines = [*_fixture_lines(), "Share on Facebook", "Tuesday, November 28, 2023", "Advertisement", "x" * 500]
    for profile in [None, *profiles.values()]:
        for line in lines:
            expected = None
            if profile is not None and any(p.fullmatch(line) for p in profile.chrome):
                expected = f"site furniture ({profile.name} profile)"
            else:
                expected = next((reason for reason, p in clean.GENERIC_CHROME if p.fullmatch(line)), None)
                if expected is None and clean._is_breadcrumb(line):
                    expected = "breadcrumb"
            assert clean.chrome_reason(line, profile) == expected, (line, profile and profile.name)


@pytest.mark.parametrize(
    "text",
    ["a  b", "a\u00a0b", "a \u00a0 b", "a\t\tb", " a ", "a\u3000\u3000 b\u2009c", "one two", "  \t", "x \u202f", ""],
)
def test_whitespace_runs_replaced_as_before(text):
    assert clean._SPACES_TO_REPLACE.sub(" ", text) == clean._SPACES.sub(" ", text)


def test_glued_word_repair_decides_once_and_repairs_as_before():
    repair = clean.glued_word_repair({"navalny": 3})
    texts = ["supportednavalny and oddsover", "no glue", "supportednavalny again", "byInterfax said,”Yes"]
    for text in texts:
        assert repair(text) == clean.repair_glued_words(text, {"navalny": 3})
    assert repair("supportednavalny")[0] == "supported navalny"


def test_ascii_alphanumerics_never_exceed_the_key_length():
    lines = [*_fixture_lines(), "İSTANBUL ﬁnance ß Ⅻ ½ ²", "a_b-c", "\udc80x", "🙂 a1"]
    for line in lines:
        assert clean._ascii_alphanumerics(line) <= len(clean._letters_key(line))

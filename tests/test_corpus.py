"""The loader on the seeds: what a careful reader of SOURCES.md expects."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.clean import GENERIC_CHROME
from analysis.corpus import MINHASH_FUNCTIONS, _lsh_rows, _shingle_jaccard_pairs, _shingle_sets, load_corpus, read_corpus
from analysis.paths import SEEDS
from analysis.schema import ARTICLE_COLUMNS

SHARED_SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FIXTURES_MALFORMED = Path(__file__).parent / "fixtures" / "malformed"

HEADLINES = {
    "000_17a576a99f91630e": "27 US organizations urge Biden to engage in constructive dialogue with Russia — paper",
    "001_1c81a1ac3e2b06c4": "Moscow regrets U.S. refusal to hold online talks between Biden and Putin",
    "002_3e3933a9d7f1d525": "Russia accuses US of rejecting dialogue offer between Putin, Biden",
    "003_f2869a96b21043eb": "Russia accuses US of interference, but declares itself open to dialogue",
    "004_6e0b644c5aa9bc29": "Kremlin says Vladimir Putin ready for dialogue if U.S. willing",
}

# Furniture a reader sees in the seed files; none of it may reach a body.
CHROME = [
    "All news",
    "ALSO READ",
    "Helsinki Commission",
    "News   /",
    "Foreign Policy   /",
    "(Photo by Reuters)",
    "shakes hands",
    "alternate addresses",
    "presstv.co.uk",
    "SHARE THIS ARTICLE",
    "Roku",
    "November 28, 2023",
    "Must read",
    "Advertisement",
    "spot_img",
    "More articles",
    "Please enter",
    "Latest article",
    "News from Russia",
    "International News",
    "Share this on",
    "Leave a comment",
]


def test_schema_columns_and_types(seeds):
    assert list(seeds.columns[: len(ARTICLE_COLUMNS)]) == list(ARTICLE_COLUMNS)
    assert pd.api.types.is_datetime64_any_dtype(seeds["published"])
    assert seeds["hash"].is_unique and seeds["id"].is_unique
    assert (seeds["n_tokens"] > 250).all()


def test_seed_files_are_byte_for_byte_the_shared_ones():
    if not SHARED_SEEDS.is_dir():
        pytest.skip(f"{SHARED_SEEDS} is not beside this checkout")
    for path in SHARED_SEEDS.glob("*.txt"):
        assert (SEEDS / path.name).read_bytes() == path.read_bytes(), path.name


def test_raw_is_the_file_as_read(seeds):
    for article in seeds.itertuples():
        assert article.raw == (SEEDS / f"{article.id}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("fragment", CHROME)
def test_no_chrome_survives_in_any_body(seeds, fragment):
    for article in seeds.itertuples():
        assert fragment.lower() not in article.body.lower(), article.id
        assert fragment.lower() not in article.dek.lower(), article.id


@pytest.mark.parametrize(("article_id", "headline"), HEADLINES.items())
def test_headlines(seeds, article_id, headline):
    assert seeds.loc[article_id, "headline"] == headline
    assert headline not in seeds.loc[article_id, "body"]


def test_dek_and_dateline_are_split_from_the_body(seeds):
    tass = seeds.loc["000_17a576a99f91630e"]
    assert tass.dateline == "WASHINGTON, March 31. /TASS/."
    assert tass.body.startswith("A total of 27 US organizations")
    assert tass.dek.startswith("They urged the US president")
    assert seeds.loc["003_f2869a96b21043eb"].dek.startswith("The United States condemns Moscow’s crackdown")
    # Press TV's first paragraph is its lead, not a dek: "rebuffing" must stay in the body
    assert seeds.loc["002_3e3933a9d7f1d525"].dek == ""
    assert "rebuffing" in seeds.loc["002_3e3933a9d7f1d525"].body


def test_dates_come_from_the_manifest_not_the_scrape_date(seeds):
    assert seeds.loc["003_f2869a96b21043eb", "published"] == pd.Timestamp("2021-01-25")
    removed = seeds.loc["003_f2869a96b21043eb", "removed"]
    assert {
        "text": "Tuesday, November 28, 2023",
        "reason": "date line (page or scrape date, not the publication date)",
    } in removed


def test_every_glued_word_in_004_is_repaired(seeds):
    body = seeds.loc["004_6e0b644c5aa9bc29", "body"] + seeds.loc["004_6e0b644c5aa9bc29", "dek"]
    for glued in [
        "oddsover",
        "adialogue",
        "inU.S.",
        "usedagainst",
        "tobreak",
        "byInterfax",
        "outnumberedby",
        "incondemning",
        ",”Kremlin",
    ]:
        assert glued not in body
    for repaired in [
        "odds over",
        "a dialogue",
        "in U.S. elections",
        "used against",
        "to break",
        "by Interfax",
        "outnumbered by",
        "in condemning",
        "dialogue,” Kremlin",
    ]:
        assert repaired in body
    # no word that a word list knows was split anywhere in the seeds
    for article in seeds.itertuples():
        for repair in article.repairs:
            assert (
                repair["original"].replace("”", "").replace("“", "").isalpha()
                or "U.S." in repair["original"]
                or "”" in repair["original"]
            )


def test_removals_are_recorded_with_reasons(seeds):
    reasons = {r["reason"] for removed in seeds["removed"] for r in removed}
    assert {
        "related-story link",
        "breadcrumb",
        "photo caption",
        "repeated headline",
        "comment form",
        "share buttons",
        "advertisement",
        "site name in headline",
    } <= reasons
    also_read = [r for r in seeds.loc["001_1c81a1ac3e2b06c4", "removed"] if r["reason"] == "related-story link"]
    assert len(also_read) == 1 and "contain the Putin regime" in also_read[0]["text"]


def test_nothing_but_chrome_and_structure_left_the_text(seeds):
    """Every word of the raw file is in the body, headline, dek, dateline or a removal record."""
    for article in seeds.itertuples():
        kept = " ".join([article.headline, article.dek, article.dateline, article.body, *(r["text"] for r in article.removed)])
        kept = " ".join(r["repaired"] for r in article.repairs) + " " + kept
        kept_words = set(re.findall(r"[a-z]+", kept.lower()))
        raw_words = set(re.findall(r"[a-z]+", article.raw.lower()))
        glued = {w for r in article.repairs for w in re.findall(r"[a-z]+", r["original"].lower())}
        assert raw_words - kept_words - glued == set(), article.id


def test_outlet_metadata_from_profiles(seeds):
    assert seeds.loc["002_3e3933a9d7f1d525", "ownership"] == "state"
    assert seeds.loc["002_3e3933a9d7f1d525", "country"] == "IR"
    assert seeds.loc["001_1c81a1ac3e2b06c4", "ownership"] == "aggregator"
    assert set(seeds["event"]) == {"2021-03-biden-putin-talks", "2021-01-kremlin-dialogue-offer"}


def test_generic_patterns_compile_and_have_reasons():
    assert all(reason and pattern.pattern for reason, pattern in GENERIC_CHROME)


def test_table_formats_give_the_same_articles(tmp_path, seeds):
    table = pd.DataFrame(
        {
            "id": seeds["id"],
            "outlet": seeds["outlet"],
            "published": seeds["published"].dt.strftime("%Y-%m-%d"),
            "text": seeds["raw"],
            "event": seeds["event"],
        }
    )
    table.to_csv(tmp_path / "c.csv", index=False)
    table.to_json(tmp_path / "c.jsonl", orient="records", lines=True, force_ascii=False)
    table.to_parquet(tmp_path / "c.parquet")
    for name in ("c.csv", "c.jsonl", "c.parquet"):
        articles, problems = read_corpus(tmp_path / name)
        assert problems == [], name
        assert articles.set_index("id")["body"].to_dict() == seeds["body"].to_dict(), name
        assert articles.set_index("id")["headline"].to_dict() == seeds["headline"].to_dict(), name


def test_title_column_sets_the_headline(tmp_path):
    table = pd.DataFrame(
        {
            "id": ["a"],
            "outlet": ["Reuters"],
            "published": ["2021-01-01"],
            "title": ["Talks resume"],
            "text": ["Talks resume\n\n" + "The two sides met again on Friday to discuss arms control. " * 5],
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    articles, _ = read_corpus(tmp_path / "t.csv")
    assert articles.loc[0, "headline"] == "Talks resume"
    assert articles.loc[0, "body"].startswith("The two sides met")


def test_corpus_profiles_file_adds_outlets(tmp_path):
    (tmp_path / "a.txt").write_text("Title of the piece\n\n" + "Officials met in the capital on Friday for talks. " * 6)
    (tmp_path / "manifest.csv").write_text("file,outlet,published\na.txt,Daily Example,2021-05-01\n")
    assert any("unknown outlet" in p.message for p in read_corpus(tmp_path)[1])
    (tmp_path / "outlets.yaml").write_text(
        "- name: The Daily Example\n  aliases: [Daily Example]\n  ownership: private\n  country: GB\n"
    )
    articles, problems = read_corpus(tmp_path)
    assert problems == []
    assert articles.loc[0, "outlet"] == "The Daily Example" and articles.loc[0, "ownership"] == "private"


def test_load_corpus_raises_when_nothing_is_usable(tmp_path):
    from analysis.corpus import CorpusError

    (tmp_path / "manifest.csv").write_text("file,published\n")
    with pytest.raises(CorpusError, match="missing column"):
        load_corpus(tmp_path)


def test_jsonl_bad_lines_are_named_and_the_rest_loads(tmp_path):
    good = {
        "id": "a",
        "outlet": "TASS",
        "published": "2021-03-01",
        "text": "Headline here\n\n" + "Officials met for talks on Friday. " * 8,
    }
    lines = [json.dumps(good), "{not json", "[1, 2]", json.dumps(good | {"id": "b", "published": "01/03/2021"})]
    (tmp_path / "c.jsonl").write_text("\n".join(lines))
    articles, problems = read_corpus(tmp_path / "c.jsonl")
    assert list(articles["id"]) == ["a"]
    located = {(p.line, p.message.split(" (")[0]) for p in problems}
    assert (2, "not valid JSON") in located and (3, "not a JSON object") in located
    assert any(p.field == "published" and "'01/03/2021'" in p.message for p in problems)


def test_the_corpus_teaches_its_own_furniture(tmp_path):
    """Lines one site repeats on pages of different stories are furniture, named with their reason."""
    stories = {
        "a": "Ministers of the two countries agreed on Friday to resume talks on grain exports after delays. " * 3,
        "b": "Port workers voted on Thursday to accept a new pay offer and end their strike at the docks. " * 3,
        "c": "The weather service warned of storms along the coast and told fishermen to stay in harbour. " * 3,
    }
    rows = ["file,outlet,published,url"]
    for name, story in stories.items():
        (tmp_path / f"{name}.txt").write_text(
            f"Headline of story {name}\n\nHarbour Herald Weekend Offer Dock Road\n\n{story}\n\nPrinted in the Harbour Herald works\n"
        )
        rows.append(f"{name}.txt,Harbour Herald,2022-07-22,https://www.harbourherald.example/{name}")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    articles, _ = read_corpus(tmp_path)
    for article in articles.itertuples():
        assert "Weekend Offer" not in article.body and "works" not in article.body
        reasons = {r["text"]: r["reason"] for r in article.removed}
        assert (
            reasons["Harbour Herald Weekend Offer Dock Road"] == "repeated on 3 pages of harbourherald.example (site furniture)"
        )
        assert stories[article.id].strip()[:40] in article.body


def test_table_title_keeps_rt_and_al_jazeera_leads_in_the_body(tmp_path):
    lead = "Russia said on Friday it was ready to resume talks with the United States on strategic stability."
    rest = "The foreign ministry said the first round could be held in Geneva within weeks. " * 4
    table = pd.DataFrame(
        {
            "id": ["rt", "aj"],
            "outlet": ["RT", "Al Jazeera"],
            "published": ["2021-06-18", "2021-06-18"],
            "title": ["Moscow ready for talks", "Russia ready to resume talks"],
            "text": [f"{lead}\n\n{rest}\n\nMore to follow.", f"{lead}\n\n{rest}\n\nMore to follow."],
        }
    )
    table.to_csv(tmp_path / "t.csv", index=False)
    articles, _ = read_corpus(tmp_path / "t.csv")
    assert (articles["dek"] == "").all()
    assert articles["body"].str.startswith("Russia said on Friday").all()


def test_byline_column_and_mostly_furniture_warning(tmp_path):
    story = "Officials met in the capital on Friday for talks on the grain corridor and agreed to meet again. " * 3
    furniture = "\n".join(f"Advertisement {n}" for n in range(1, 40))
    (tmp_path / "a.txt").write_text(f"Talks in the capital\n\ndpa (TNS)\n\n{story}\n")
    (tmp_path / "b.txt").write_text(f"Talks again in the capital\n\n{furniture}\n\n{story.replace('Friday', 'Monday')}\n")
    (tmp_path / "manifest.csv").write_text("file,outlet,published\na.txt,Reuters,2021-05-01\nb.txt,Reuters,2021-05-02\n")
    articles, problems = read_corpus(tmp_path)
    assert articles.set_index("id").loc["a", "byline"] == "dpa (TNS)"
    assert "dpa" not in articles.set_index("id").loc["a", "body"]
    mostly = [p for p in problems if "removed as furniture" in p.message]
    assert [(p.article_id, p.severity) for p in mostly] == [("b", "warning")]
    assert "framing corpus --json" in mostly[0].hint


def _all_pairs_jaccard(bodies, threshold):
    """The test oracle: every pair's exact shingle Jaccard similarity (one sparse product, n² pairs)."""
    shingles = _shingle_sets(bodies)
    sizes = np.diff(shingles.indptr)
    overlap = (shingles @ shingles.T).tocoo()
    upper = overlap.row < overlap.col
    i, j, shared = overlap.row[upper], overlap.col[upper], overlap.data[upper]
    jaccard = shared / (sizes[i] + sizes[j] - shared)
    similar = jaccard >= threshold
    return sorted(zip(i[similar].tolist(), j[similar].tolist(), jaccard[similar].tolist(), strict=True))


def _planted_near_duplicates(n_sources, *, seed=0):
    """``n_sources`` random texts of 300 words, each followed by a copy with 0–40 words replaced."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{k}" for k in range(5000)])
    bodies = []
    for text in rng.choice(vocabulary, size=(n_sources, 300)):
        copy = text.copy()
        copy[rng.integers(0, 300, size=rng.integers(0, 40))] = "edited"
        bodies += [" ".join(text), " ".join(copy)]
    return bodies + ["", "too short", " ".join(vocabulary[:5])] * 2


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9, 1.0])
def test_near_duplicates_are_the_all_pairs_ones_on_a_planted_corpus(threshold):
    bodies = _planted_near_duplicates(200)
    expected = _all_pairs_jaccard(bodies, threshold)
    assert expected  # the planted corpus has pairs at every threshold
    assert _shingle_jaccard_pairs(bodies, threshold) == expected


def test_near_duplicates_are_the_all_pairs_ones_on_the_seeds_and_fixtures(seeds, malformed):
    reuse = read_corpus(Path(__file__).parent / "fixtures" / "reuse")[0]
    for articles in (seeds, malformed[0], reuse, pd.concat([seeds, seeds.iloc[:3]])):
        bodies = articles["body"].tolist()
        for threshold in (0.5, 0.8):
            assert _shingle_jaccard_pairs(bodies, threshold) == _all_pairs_jaccard(bodies, threshold)
    assert _shingle_jaccard_pairs(malformed[0]["body"].tolist(), 0.8)  # near_duplicate.txt is found


def test_lsh_banding_finds_a_pair_at_the_threshold_with_probability_099():
    for threshold in (0.5, 0.8, 0.9):
        rows = _lsh_rows(threshold)
        assert 1 - (1 - threshold**rows) ** (MINHASH_FUNCTIONS // rows) >= 0.99


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    from analysis import paths

    monkeypatch.setattr(paths, "CACHE", tmp_path / "cache")
    return tmp_path / "cache"


def _copy_of_the_seeds(tmp_path):
    import shutil

    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


def test_a_second_load_reads_the_cache_and_a_changed_file_cleans_again(tmp_path, cache_folder):
    folder = _copy_of_the_seeds(tmp_path)
    first, problems = read_corpus(folder, cache=True)
    assert len(list(cache_folder.glob("articles-*.parquet"))) == 1
    again, problems_again = read_corpus(folder, cache=True)
    pd.testing.assert_frame_equal(again, first)
    assert problems_again == problems
    pd.testing.assert_frame_equal(again, read_corpus(folder)[0])  # the cache changes nothing

    article = folder / "004_6e0b644c5aa9bc29.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("Kremlin", "Moscow"), encoding="utf-8")
    changed = read_corpus(folder, cache=True)[0]
    assert not changed.equals(first) and changed.equals(read_corpus(folder)[0])
    assert read_corpus(folder, cache=True, min_tokens=30)[0].equals(changed)  # other options: another entry
    assert len(list(cache_folder.glob("articles-*.parquet"))) == 3


def test_the_cache_is_written_slice_by_slice_and_reads_back_whole(tmp_path, cache_folder, monkeypatch):
    import pyarrow.parquet as pq

    from analysis import corpus

    rows = [
        {
            "id": f"a{n}",
            "outlet": "Reuters",
            "published": f"2024-01-0{n + 1}",
            "score": n,
            "text": " ".join(f"Ship {n}.{k} left port {k} on day {n} with grain." for k in range(8)),
        }
        for n in range(5)
    ]
    rows[4]["desk"] = "World"  # a column only the last slice has
    table = tmp_path / "table.jsonl"
    table.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(corpus, "CACHE_SLICE", 2)
    first = read_corpus(table, cache=True)[0]
    (entry,) = cache_folder.glob("articles-*.parquet")
    assert pq.ParquetFile(entry).num_row_groups == 3  # three slices of two rows
    again = read_corpus(table, cache=True)[0]
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(again, read_corpus(table)[0])


@pytest.mark.parametrize("damage", ["truncate", "flip", "other_key"])
def test_a_damaged_cache_entry_is_never_trusted(tmp_path, cache_folder, damage):
    folder = _copy_of_the_seeds(tmp_path)
    expected = read_corpus(folder, cache=True)[0]
    (entry,) = cache_folder.glob("articles-*.parquet")
    data = entry.read_bytes()
    if damage == "truncate":  # half-written
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # a byte changed in the middle of the data pages
        middle = len(data) // 2
        entry.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:  # a valid entry of another corpus under this name
        read_corpus(FIXTURES_MALFORMED, cache=True)
        other = next(f for f in cache_folder.glob("articles-*.parquet") if f != entry)
        entry.write_bytes(other.read_bytes())
    pd.testing.assert_frame_equal(read_corpus(folder, cache=True)[0], expected)
    pd.testing.assert_frame_equal(read_corpus(folder, cache=True)[0], expected)  # rebuilt, then read


def test_cache_clear_and_no_cache(tmp_path, cache_folder, capsys):
    from analysis.cli import main

    folder = _copy_of_the_seeds(tmp_path)
    assert main(["corpus", str(folder), "--no-cache", "--json"]) == 0
    assert not cache_folder.exists()
    assert main(["corpus", str(folder), "--json"]) == 0
    assert len(list(cache_folder.glob("articles-*.parquet"))) == 1
    capsys.readouterr()
    assert main(["cache", "clear"]) == 0
    assert "1 cached article table(s) removed" in capsys.readouterr().out
    assert not list(cache_folder.glob("*"))


def _counting_clean_article(monkeypatch):
    from analysis import clean

    calls = []
    original = clean.clean_article

    def counted(text, **options):
        calls.append(text)
        return original(text, **options)

    monkeypatch.setattr(clean, "clean_article", counted)
    return calls


def test_a_changed_or_added_file_cleans_only_itself(tmp_path, cache_folder, monkeypatch):
    folder = _copy_of_the_seeds(tmp_path)
    calls = _counting_clean_article(monkeypatch)
    read_corpus(folder, cache=True)
    assert len(calls) == 5

    article = folder / "004_6e0b644c5aa9bc29.txt"
    article.write_text(article.read_text(encoding="utf-8").replace("Kremlin", "Moscow"), encoding="utf-8")
    (folder / "005_added.txt").write_text((folder / "002_3e3933a9d7f1d525.txt").read_text(encoding="utf-8") + "\nAn added line.")
    with (folder / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write(
            "005_added.txt,Press TV,https://presstv.ir/Detail/2021/03/23/added,2021-03-23,2021-03-biden-putin-talks,en\n"
        )
    calls.clear()
    changed, problems = read_corpus(folder, cache=True)
    assert len(calls) == 2  # the changed file and the added one; the whole-corpus steps run again
    assert "Moscow" in calls[0] or "Moscow" in calls[1]

    calls.clear()
    fresh, fresh_problems = read_corpus(folder)  # no cache: everything cleaned again
    assert len(calls) == 6
    pd.testing.assert_frame_equal(changed, fresh)
    assert problems == fresh_problems


def test_furniture_found_across_the_corpus_cleans_the_pages_it_changes(tmp_path, cache_folder, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    stories = [
        "Grain talks resume in Geneva as ministers meet on Friday to settle the export corridor and prices.",
        "Port workers voted on Monday to accept the offer and end a strike that had closed the harbour for weeks.",
        "The central bank held rates on Thursday and said inflation would ease by the summer months.",
    ]
    rows = ["file,outlet,published"]
    for n, story in enumerate(stories):
        body = "\n".join([f"Headline number {n}", story * 3, "Harbour Herald, journalism you can trust since 1852"])
        (folder / f"p{n}.txt").write_text(body, encoding="utf-8")
        rows.append(f"p{n}.txt,Harbour Herald,2024-01-0{n + 1}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    calls = _counting_clean_article(monkeypatch)
    first = read_corpus(folder, cache=True)[0]
    assert len(calls) == 3
    assert all("repeated on 3 pages" in str(removed) for removed in first["removed"])

    # a fourth page with the same subscription line: the line's reason on every page changes (4 pages)
    (folder / "p3.txt").write_text(
        "Headline number 3\n" + stories[0][::-1] * 3 + "\nHarbour Herald, journalism you can trust since 1852"
    )
    with (folder / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write("p3.txt,Harbour Herald,2024-01-04\n")
    calls.clear()
    again = read_corpus(folder, cache=True)[0]
    assert len(calls) == 4
    assert all("repeated on 4 pages" in str(removed) for removed in again["removed"])
    pd.testing.assert_frame_equal(again, read_corpus(folder)[0])


def test_a_damaged_per_article_store_is_started_again(tmp_path, cache_folder, monkeypatch):
    folder = _copy_of_the_seeds(tmp_path)
    expected = read_corpus(folder, cache=True)[0]
    (store,) = cache_folder.glob("parts-*.sqlite")
    store.write_bytes(b"not a database" * 100)
    for entry in cache_folder.glob("articles-*.parquet"):
        entry.unlink()
    pd.testing.assert_frame_equal(read_corpus(folder, cache=True)[0], expected)
    calls = _counting_clean_article(monkeypatch)
    for entry in cache_folder.glob("articles-*.parquet"):
        entry.unlink()
    pd.testing.assert_frame_equal(read_corpus(folder, cache=True)[0], expected)
    assert calls == []  # the store was rebuilt, and now serves every article


def test_shingle_sets_as_with_the_regular_expression():
    """The numpy word scan numbers and hashes the words as ``\\w\\w+`` found them."""
    from itertools import chain

    import scipy.sparse as sp

    from analysis.corpus import _SHINGLE_WORD, SHINGLE_SIZE
    from analysis.tokens import shingle_hashes

    def by_regex(bodies, chunk=3):
        vocabulary, hashes, rows = {}, [], []
        for first in range(0, len(bodies), chunk):
            words = [_SHINGLE_WORD.findall(body.lower()) for body in bodies[first : first + chunk]]
            counts = np.array([len(w) for w in words], dtype=np.int64)
            local, distinct = pd.factorize(np.fromiter(chain.from_iterable(words), dtype=object, count=int(counts.sum())))
            numbers = np.array([vocabulary.setdefault(word, len(vocabulary)) for word in distinct], dtype=np.uint64)
            starts = np.flatnonzero(np.arange(local.size) + SHINGLE_SIZE <= np.repeat(np.cumsum(counts), counts))
            hashes.append(shingle_hashes(numbers[local] if local.size else local, SHINGLE_SIZE, starts=starts))
            rows.append(np.repeat(np.arange(first, first + len(words)), counts)[starts])
        columns, distinct_shingles = pd.factorize(np.concatenate(hashes))
        matrix = sp.csr_matrix(
            (np.ones(columns.size, dtype=np.int32), (np.concatenate(rows), columns)),
            shape=(len(bodies), max(len(distinct_shingles), 1)),
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1
        return matrix

    seeds = load_corpus()
    bodies = [
        *seeds["body"],
        *seeds["raw"],
        "",
        "a b",
        "İstanbul ΣΑΣ snake_case x_1 🙂word 42 3.5",
        "one two three four five six",
    ]
    bodies += [body[::-1] for body in seeds["body"]]
    expected, actual = by_regex(bodies), _shingle_sets(bodies, chunk=3)
    assert expected.shape == actual.shape and (expected != actual).nnz == 0


def test_per_article_entries_serve_html_and_problem_corpora(tmp_path, cache_folder, monkeypatch):
    import shutil

    folder = tmp_path / "malformed"
    shutil.copytree(FIXTURES_MALFORMED, folder)
    expected, expected_problems = read_corpus(folder)
    read_corpus(folder, cache=True)
    for entry in cache_folder.glob("articles-*.parquet"):
        entry.unlink()  # only the per-article entries are left
    calls = _counting_clean_article(monkeypatch)
    articles, problems = read_corpus(folder, cache=True)
    assert calls == []
    pd.testing.assert_frame_equal(articles, expected)
    assert problems == expected_problems

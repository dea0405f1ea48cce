"""Collecting a corpus: exports, saved pages and polite fetching, against a server on 127.0.0.1."""

import hashlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.collect import (
    STATE,
    CollectError,
    FetchSettings,
    TargetError,
    fetch_corpus,
    import_export,
    import_pages,
    parse_mapping,
    parse_published,
    read_state,
    url_key,
)
from analysis.corpus import read_corpus

FIXTURES = Path(__file__).parent / "fixtures" / "collect"
FAST = FetchSettings(delay=0.01, timeout=0.3, retries=1, backoff=0.01)
FAST_OPTIONS = ["--delay", "0.01", "--timeout", "0.3", "--retries", "1", "--backoff", "0.01"]


# ---------------------------------------------------------------------------
# A local news site: articles, robots.txt, a slow page, a 404, a 500 then 200, a redirect
# ---------------------------------------------------------------------------


def _page(title: str, published: str) -> bytes:
    story = (  # each page its own text: the loader skips exact duplicates
        f"{title}: the two governments traded statements on Monday about a proposed online conversation between "
        "their presidents. One side said the door to dialogue remained open; the other said the president "
        "was busy this week and that the leaders would speak at some point in the future."
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='article:published_time' content='{published}'></head>"
        f"<body><nav>Home | World</nav><article><h1>{title}</h1><p>{story}</p><p>{story}</p></article></body></html>"
    ).encode()


PAGES = {
    "/news/a.html": _page("Talks offer declined", "2021-03-22T10:00:00+00:00"),
    "/news/b.html": _page("Kremlin keeps the door open", "2021-03-25T09:00:00+00:00"),
    "/news/moved.html": _page("A story that moved", "2021-03-22T12:00:00+00:00"),
    "/news/flaky.html": _page("A story behind a flaky server", "2021-03-23T08:00:00+00:00"),
    "/private/secret.html": _page("Not for crawlers", "2021-03-22T08:00:00+00:00"),
    "/slow.html": _page("A slow story", "2021-03-22T08:00:00+00:00"),
}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Site:
    """What the server was asked: (path, User-Agent, monotonic time) per request."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, float]] = []
        self.flaky_failures = 1
        self.lock = threading.Lock()

    def asked(self, path: str) -> int:
        return sum(p == path for p, _, _ in self.requests)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {"Content-Type": "text/html; charset=utf-8"}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except BrokenPipeError:  # the client gave up on the slow page
                pass

        def do_GET(self) -> None:
            with site.lock:
                site.requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
            if self.path == "/robots.txt":
                return self._send(200, ROBOTS, {"Content-Type": "text/plain"})
            if self.path == "/slow.html":
                time.sleep(1.0)
            if self.path == "/old":
                return self._send(301, b"", {"Location": "/news/moved.html"})
            if self.path == "/sneaky":
                return self._send(302, b"", {"Location": "/private/secret.html"})
            if self.path == "/news/flaky.html":
                with site.lock:
                    failing, site.flaky_failures = site.flaky_failures > 0, site.flaky_failures - 1
                if failing:
                    return self._send(500, b"oops")
            if self.path == "/report.pdf":
                return self._send(200, b"%PDF-1.4", {"Content-Type": "application/pdf"})
            if self.path in PAGES:
                return self._send(200, PAGES[self.path])
            return self._send(404, b"not found")

    return Handler


@pytest.fixture
def site():
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def _url_list(path: Path, base: str, rows: list[tuple[str, str]]) -> Path:
    pd.DataFrame([{"url": base + p, "published": d, "outlet": ""} for p, d in rows]).to_csv(path, index=False)
    return path


ALL_PATHS = [
    ("/news/a.html", "2021-03-22"),
    ("/news/b.html", "2021-03-22"),  # the page says 2021-03-25
    ("/private/secret.html", "2021-03-22"),
    ("/slow.html", "2021-03-22"),
    ("/missing", "2021-03-22"),
    ("/news/flaky.html", "2021-03-23"),
    ("/old", "2021-03-22"),
    ("/report.pdf", "2021-03-22"),
    ("/sneaky", "2021-03-22"),  # redirects to a path robots.txt forbids
]


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


# ---------------------------------------------------------------------------
# Pure pieces
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "assume_utc", "expected"),
    [
        ("2021-03-22 10:15:00", True, "2021-03-22T10:15:00+00:00"),
        ("2021-03-22 10:15:00", False, "2021-03-22T10:15:00"),
        ("20210322101500", False, "2021-03-22T10:15:00+00:00"),
        ("2021-03-22T23:30:00+03:30", True, "2021-03-22T23:30:00+03:30"),
        ("2021-03-22", True, "2021-03-22"),
    ],
)
def test_dates_keep_their_time_zone(value, assume_utc, expected):
    assert parse_published(value, assume_utc=assume_utc) == expected


def test_a_bad_date_is_refused():
    with pytest.raises(ValueError, match="not a date"):
        parse_published("last Tuesday", assume_utc=True)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://tass.com/world/1?utm_source=feed", "http://www.tass.com/world/1/"),
        ("https://TASS.com/world/1#comments", "https://tass.com/world/1"),
    ],
)
def test_url_keys_ignore_what_does_not_change_the_page(a, b):
    assert url_key(a) == url_key(b)


def test_url_keys_keep_what_does(a="https://tass.com/world/1?id=2", b="https://tass.com/world/1?id=3"):
    assert url_key(a) != url_key(b)


@pytest.mark.parametrize("text", ["published", "published=", "when=publish_date"])
def test_a_malformed_mapping_is_refused(text):
    with pytest.raises(ValueError, match="--map"):
        parse_mapping(text)


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


def test_a_media_cloud_export_accounts_for_every_row(tmp_path):
    before = _files(FIXTURES)
    result = import_export(FIXTURES / "mediacloud.csv", tmp_path / "corpus", source="mediacloud")
    summary = result.summary.set_index("row")
    assert len(summary) == 6 and result.counts() == {"imported": 3, "duplicate": 1, "unusable": 2}
    assert summary.loc[4, "status"] == "duplicate" and "row 2" in summary.loc[4, "reason"]
    assert "bad date 'last Tuesday'" in summary.loc[5, "reason"]
    assert summary.loc[6, "reason"] == "no url and no text"
    assert "no profile" in summary.loc[7, "reason"]
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert list(manifest.columns[:3]) == ["file", "outlet", "published"]
    assert manifest["outlet"].tolist() == ["TASS", "Press TV", "Example News"]
    assert manifest["published"].iloc[0] == "2021-03-22T10:15:00+00:00"  # Media Cloud times are UTC
    assert (manifest["file"] == "").all() and manifest["source_id"].tolist() == ["1001", "1002", "1006"]
    assert _files(FIXTURES) == before  # the export is never changed
    articles, problems = read_corpus(tmp_path / "corpus")
    assert articles.empty and all("not fetched yet" in p.message for p in problems)


def test_re_importing_extends_and_finds_the_duplicates(tmp_path):
    import_export(FIXTURES / "mediacloud.csv", tmp_path / "corpus", source="mediacloud", event="talks")
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert set(manifest["event"]) == {"talks"}
    again = import_export(FIXTURES / "gdelt_doc.json", tmp_path / "corpus", source="gdelt")
    assert again.extended and again.counts() == {"imported": 0, "duplicate": 2, "unusable": 0}
    assert "already in the corpus" in again.summary["reason"].iloc[0]
    log = json.loads((tmp_path / "corpus" / "collect.json").read_text())
    assert [entry["from"] for entry in log["imports"]] == ["mediacloud", "gdelt"]


def test_gdelt_gkg_rows_that_are_not_web_addresses_are_unusable(tmp_path):
    result = import_export(FIXTURES / "gdelt_gkg.tsv", tmp_path / "corpus", source="gdelt")
    assert result.counts() == {"imported": 1, "duplicate": 0, "unusable": 1}
    assert "not a web address" in result.summary["reason"].iloc[1]
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest.loc[0, "published"] == "2021-03-22T10:15:00+00:00" and manifest.loc[0, "outlet"] == "TASS"
    assert manifest.loc[0, "v2tone"].startswith("-2.1")  # the export's other columns are kept as metadata


def test_a_raw_gkg_file_without_header_is_read_with_gkg_columns(tmp_path):
    result = import_export(FIXTURES / "20210322101500.gkg.csv", tmp_path / "corpus", source="gdelt")
    assert result.counts() == {"imported": 2, "duplicate": 0, "unusable": 0}
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest["outlet"].tolist() == ["TASS", "Press TV"] and manifest.loc[1, "published"] == "2021-03-22T20:45:00+00:00"
    assert manifest.loc[1, "v2tone"].startswith("-4.0") and manifest.loc[0, "themes"].startswith("TAX_FNCACT")


def test_newsapi_source_names_and_offsets(tmp_path):
    import_export(FIXTURES / "newsapi.json", tmp_path / "corpus", source="newsapi")
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest["outlet"].tolist() == ["TASS", "Press TV"]
    assert manifest["published"].tolist() == ["2021-03-22T10:15:00+00:00", "2021-03-22T23:30:00+03:30"]
    assert manifest.loc[0, "dek"].startswith("The Kremlin regrets")


def test_an_export_with_text_becomes_article_files_the_loader_reads(tmp_path):
    result = import_export(FIXTURES / "articles.csv", tmp_path / "corpus", source="csv", mapping={"published": "date"})
    assert result.counts() == {"imported": 2, "duplicate": 1, "unusable": 0} and result.to_fetch == 0
    articles, problems = read_corpus(tmp_path / "corpus")
    assert problems == [] and sorted(articles["outlet"]) == ["Press TV", "TASS"]
    assert set(articles["headline"]) == {"Talks declined", "An offer turned down"}
    again = import_export(FIXTURES / "articles.csv", tmp_path / "corpus", source="csv", mapping={"published": "date"})
    assert again.counts() == {"imported": 0, "duplicate": 3, "unusable": 0}  # the same texts, found by their ids


def test_a_missing_column_names_the_file_the_column_and_the_fix(tmp_path):
    with pytest.raises(CollectError, match=r"no_url_column\.csv: no column 'url'.*--map url=COLUMN"):
        import_export(FIXTURES / "no_url_column.csv", tmp_path / "corpus", source="mediacloud")
    with pytest.raises(CollectError, match="no column 'when'"):
        import_export(FIXTURES / "mediacloud.csv", tmp_path / "corpus", source="mediacloud", mapping={"published": "when"})
    assert not (tmp_path / "corpus" / "manifest.csv").exists()


def test_a_folder_that_is_not_an_import_is_never_written(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(TargetError, match="not empty"):
        import_export(FIXTURES / "mediacloud.csv", tmp_path / "mine", source="mediacloud")
    with pytest.raises(TargetError, match="never changed"):
        import_export(FIXTURES / "mediacloud.csv", FIXTURES, source="mediacloud")
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]


def test_saved_pages_become_a_corpus_from_their_metadata(tmp_path):
    before = _files(FIXTURES / "saved_pages")
    result = import_pages(FIXTURES / "saved_pages", tmp_path / "corpus")
    summary = result.summary.set_index("source")
    assert "story_files/frame.html" not in summary.index  # a browser's asset folder
    assert result.counts() == {"imported": 2, "duplicate": 1, "unusable": 0}
    assert summary.loc["story.html", "status"] == "duplicate"  # same canonical url as "story (1).html"
    assert "not found: date" in summary.loc["undated.html", "reason"]
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False).set_index("saved_as")
    tass = manifest.loc["story (1).html"]
    assert (tass["outlet"], tass["published"], tass["url"]) == ("TASS", "2021-03-22", "https://tass.com/world/1272315")
    assert tass["title"] == "Moscow regrets US refusal to hold online talks"
    articles, _ = read_corpus(tmp_path / "corpus")
    assert articles["outlet"].tolist() == ["TASS"]
    assert _files(FIXTURES / "saved_pages") == before
    assert import_pages(FIXTURES / "saved_pages", tmp_path / "corpus").counts()["imported"] == 0


# ---------------------------------------------------------------------------
# Fetch
# ---------------------------------------------------------------------------


def test_fetch_is_polite_and_accounts_for_every_page(tmp_path, site):
    export = _url_list(tmp_path / "urls.csv", site.base, ALL_PATHS)
    corpus = tmp_path / "corpus"
    import_export(export, corpus, source="csv")
    outside = {p: digest for p, digest in _files(tmp_path).items() if not p.startswith("corpus/")}
    result = fetch_corpus(corpus, settings=FAST)
    table = result.table().assign(path=lambda t: t["url"].str.removeprefix(site.base)).set_index("path")
    assert table["outcome"].to_dict() == {
        "/news/a.html": "fetched",
        "/news/b.html": "fetched",
        "/private/secret.html": "robots",
        "/slow.html": "failed",
        "/missing": "failed",
        "/news/flaky.html": "fetched",
        "/old": "fetched",
        "/report.pdf": "failed",
        "/sneaky": "robots",
    }
    assert "which robots.txt disallows" in table.loc["/sneaky", "error"]
    assert table.loc["/report.pdf", "error"] == "not a web page (application/pdf)"
    assert table.loc["/missing", "status"] == 404 and table.loc["/missing", "attempts"] == 1
    assert "timed out" in table.loc["/slow.html", "error"] and table.loc["/slow.html", "attempts"] == 2
    assert table.loc["/news/flaky.html", "attempts"] == 2  # 500, then 200
    assert table.loc["/old", "final_url"].endswith("/news/moved.html")
    assert "2021-03-25" in table.loc["/news/b.html", "date_warning"] and table.loc["/news/a.html", "date_warning"] == ""
    assert site.asked("/private/secret.html") == 0 and site.asked("/robots.txt") == 1
    assert {agent for _, agent, _ in site.requests} == {FAST.user_agent} and FAST.user_agent.startswith("framing/")

    assert {p: d for p, d in _files(tmp_path).items() if not p.startswith("corpus/")} == outside  # nothing written outside
    assert sorted(p.name for p in (corpus / "html").iterdir()) == sorted(
        f"{i}.html" for i in table.loc[table.outcome == "fetched", "id"]
    )
    articles, problems = read_corpus(corpus)
    assert len(articles) == 4 and set(articles["outlet"]) == {"127.0.0.1"}
    assert sum("not fetched yet" in p.message for p in problems) == 5
    manifest = pd.read_csv(corpus / "manifest.csv", dtype=str, keep_default_na=False)
    assert set(manifest.loc[manifest["file"] != "", "page_published"]) == {"2021-03-22", "2021-03-25", "2021-03-23"}

    requests = len(site.requests)
    again = fetch_corpus(corpus, settings=FAST)
    assert again.records == [] and again.counts()["earlier"] == 5 and len(site.requests) == requests  # nothing re-asked
    retried = fetch_corpus(corpus, settings=FetchSettings(**{**FAST.__dict__, "retry_failed": True}))
    assert sorted(r.url.removeprefix(site.base) for r in retried.records) == ["/missing", "/report.pdf", "/slow.html"]


def test_a_killed_fetch_continues_where_it_stopped(tmp_path, site):
    export = _url_list(tmp_path / "urls.csv", site.base, [("/news/a.html", "2021-03-22"), ("/news/b.html", "2021-03-25")])
    corpus = tmp_path / "corpus"
    import_export(export, corpus, source="csv")

    def killed(record, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_corpus(corpus, settings=FAST, progress=killed)
    with (corpus / STATE).open("a") as handle:
        handle.write('{"id": "cut by the kill')  # a torn last line is ignored
    manifest = pd.read_csv(corpus / "manifest.csv", dtype=str, keep_default_na=False)
    assert (manifest["file"] != "").sum() == 1  # the manifest was brought up to date on the way out
    assert len(read_state(corpus)) == 1
    result = fetch_corpus(corpus, settings=FAST)
    assert [r.outcome for r in result.records] == ["fetched"] and result.counts()["earlier"] == 0
    assert site.asked("/news/a.html") == 1 and site.asked("/news/b.html") == 1  # never downloaded twice


def test_requests_to_one_host_are_spaced_by_the_delay(tmp_path, site):
    paths = [("/news/a.html", ""), ("/news/b.html", ""), ("/news/moved.html", "")]
    export = _url_list(tmp_path / "urls.csv", site.base, paths)
    import_export(export, tmp_path / "corpus", source="csv")
    fetch_corpus(tmp_path / "corpus", settings=FetchSettings(delay=0.2, timeout=2, retries=0))
    times = [t for _, _, t in site.requests]  # robots.txt, then the three pages
    assert len(times) == 4 and min(b - a for a, b in itertools.pairwise(times)) >= 0.19
    manifest = pd.read_csv(tmp_path / "corpus" / "manifest.csv", dtype=str, keep_default_na=False)
    assert manifest["published"].tolist() == ["2021-03-22", "2021-03-25", "2021-03-22"]  # the pages' dates, none exported


def test_fetch_refuses_a_corpus_it_did_not_import(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,outlet,published,url\n,TASS,2021-03-22,https://tass.com/1\n")
    with pytest.raises(TargetError, match="framing import"):
        fetch_corpus(tmp_path)


# ---------------------------------------------------------------------------
# The commands
# ---------------------------------------------------------------------------


def test_import_command_summary_and_exit_codes(tmp_path, capsys):
    assert main(["import", str(FIXTURES / "mediacloud.csv"), "--from", "mediacloud", "--to", str(tmp_path / "c")]) == 1
    out = capsys.readouterr().out
    assert "imported" in out and "bad date" in out and "Next: framing fetch" in out
    assert main(["import", str(FIXTURES / "newsapi.json"), "--from", "newsapi", "--to", str(tmp_path / "n"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in rows] == ["imported", "imported"] and {"row", "reason", "url"} <= set(rows[0])


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["no_url_column.csv", "--from", "mediacloud"], 1, "no_url_column.csv: no column 'url'"),
        (["mediacloud.csv", "--from", "mediacloud", "--map", "when=publish_date"], 2, "'when' is not a field"),
        (["mediacloud.csv", "--from", "mediacloud", "--map", "published=when"], 1, "no column 'when'"),
        (["nothing.csv", "--from", "csv"], 2, "no such export file"),
        (["saved_pages", "--from", "html", "--map", "url=x"], 2, "--map"),
    ],
)
def test_import_command_bad_input_is_one_line(tmp_path, capsys, arguments, code, message):
    assert main(["import", str(FIXTURES / arguments[0]), *arguments[1:], "--to", str(tmp_path / "c")]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_import_command_refuses_a_folder_that_is_not_an_import(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["import", str(FIXTURES / "mediacloud.csv"), "--from", "mediacloud", "--to", str(tmp_path)]) == 2
    assert "not a previous framing import" in capsys.readouterr().err


def test_fetch_command_table_json_and_no_progress_bar_when_piped(tmp_path, capsys, site):
    export = _url_list(tmp_path / "urls.csv", site.base, [("/news/a.html", "2021-03-22"), ("/missing", "2021-03-22")])
    assert main(["import", str(export), "--from", "csv", "--to", str(tmp_path / "c"), "--json"]) == 0
    capsys.readouterr()
    assert main(["fetch", str(tmp_path / "c"), *FAST_OPTIONS, "--json"]) == 1  # a page failed
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert sorted(r["outcome"] for r in rows) == ["failed", "fetched"] and captured.err == ""
    assert main(["fetch", str(tmp_path / "c"), *FAST_OPTIONS, "--retry-failed"]) == 1
    captured = capsys.readouterr()
    assert "HTTP 404" in captured.out and "1 done by an earlier run" not in captured.out and "--retry-failed" in captured.out
    assert "page/s" not in captured.err and "it/s" not in captured.err


def test_fetch_command_warns_when_dates_disagree(tmp_path, capsys, site):
    export = _url_list(tmp_path / "urls.csv", site.base, [("/news/b.html", "2021-03-22")])
    main(["import", str(export), "--from", "csv", "--to", str(tmp_path / "c"), "--json"])
    capsys.readouterr()
    assert main(["fetch", str(tmp_path / "c"), *FAST_OPTIONS]) == 0
    captured = capsys.readouterr()
    assert "the page says 2021-03-25, the export 2021-03-22" in captured.err and "1 fetched" in captured.out


def test_fetch_command_on_a_hand_written_corpus_is_a_usage_error(capsys):
    assert main(["fetch", str(Path(__file__).parent.parent / "seeds")]) == 2
    assert "framing import" in capsys.readouterr().err


def test_import_command_lists_what_each_saved_page_lacks(tmp_path, capsys):
    assert main(["import", str(FIXTURES / "saved_pages"), "--from", "html", "--to", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "undated.html" in out and "not found: date" in out and "framing fetch" not in out


def test_a_text_needs_an_outlet_and_is_told_to_get_a_date(tmp_path):
    export = tmp_path / "texts.csv"
    export.write_text('outlet,text\n,"A text with no outlet and no url."\nTASS,"A text with no date."\n')
    summary = import_export(export, tmp_path / "corpus", source="csv").summary
    assert summary["status"].tolist() == ["unusable", "imported"]
    assert summary["reason"].tolist() == ["no outlet, and no url to tell it by", "no date: fill in 'published' in manifest.csv"]

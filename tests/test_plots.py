"""analysis/plots.py: house style, outlet colours, reproducible figure files."""

import hashlib
import re
import subprocess
import sys

import pandas as pd
import pytest

from analysis import plots
from analysis.outlets import load_profiles


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def rates():
    return pd.DataFrame(
        {
            "group": ["TASS", "Press TV", "Brand-new Outlet"],
            "rate": [1.2, 2.0, 0.5],
            "ci_low": [0.5, 1.0, 0.1],
            "ci_high": [2.0, 3.1, 1.2],
            "small_sample": [True, False, True],
        }
    )


def test_every_shipped_outlet_has_its_own_colour():
    names = list(load_profiles())
    colors = plots.outlet_colors(names)
    assert len(set(colors.values())) == len(names)
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors.values())


def test_outlet_colour_does_not_depend_on_the_other_outlets_or_their_order():
    alone = plots.outlet_colors(["Some Blog"])
    mixed = plots.outlet_colors(["TASS", "Some Blog", "RT"])
    assert alone["Some Blog"] == mixed["Some Blog"]
    assert plots.outlet_colors(["RT", "TASS"]) == plots.outlet_colors(["TASS", "RT"])
    assert plots.outlet_colors(["RT"])["RT"] != plots.outlet_colors(["TASS"])["TASS"]


def test_unknown_outlet_colour_is_the_same_in_a_new_process():
    code = "from analysis.plots import outlet_colors; print(outlet_colors(['Some Blog'])['Some Blog'])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert other == plots.outlet_colors(["Some Blog"])["Some Blog"]


def test_interval_chart_uses_outlet_colours_and_states_its_n(rates):
    fig = plots.interval_chart(
        rates, value="rate", title="Loaded terms per 1,000 words", n="n = 5 articles", xlabel="per 1,000", outlet_column="group"
    )
    assert fig._suptitle.get_text() == "Loaded terms per 1,000 words\nn = 5 articles"
    line_colors = {line.get_color() for line in fig.axes[0].lines}
    assert set(plots.outlet_colors(rates["group"]).values()) <= {c.upper() for c in line_colors if isinstance(c, str)}
    hollow = [line for line in fig.axes[0].lines if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 2  # the two small-sample estimates
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["small sample"]
    assert fig.get_size_inches()[0] == pytest.approx(plots.COLUMN_WIDTHS["one"])


def test_plot_functions_refuse_a_chart_without_title_or_n(rates):
    with pytest.raises(ValueError, match="title and n are required"):
        plots.bar_chart(rates, category="group", value="rate", title="Rates", n=" ", xlabel="x")


def test_missing_column_is_named(rates):
    with pytest.raises(KeyError, match=r"bar_chart: table has no column\(s\) \['words'\]"):
        plots.bar_chart(rates, category="group", value="words", title="t", n="n", xlabel="x")


def test_two_column_width(rates):
    fig = plots.bar_chart(rates, category="group", value="rate", title="t", n="n = 3", xlabel="x", width="two")
    assert fig.get_size_inches()[0] == pytest.approx(7.2)
    with pytest.raises(ValueError, match="width='three'"):
        plots.bar_chart(rates, category="group", value="rate", title="t", n="n", xlabel="x", width="three")


def test_save_figure_gives_identical_bytes_every_time_and_no_dates(tmp_path, rates):
    def draw_and_save(folder):
        fig = plots.interval_chart(rates, value="rate", title="Rates", n="n = 3 articles", xlabel="x", outlet_column="group")
        return plots.save_figure(fig, folder / "rates", caption="Rates per outlet.\n")

    first = draw_and_save(tmp_path / "a")
    second = draw_and_save(tmp_path / "b")
    assert [p.name for p in first] == ["rates.png", "rates.svg", "rates.pdf", "rates.txt"]
    assert [_digest(p) for p in first] == [_digest(p) for p in second]
    svg = (tmp_path / "a" / "rates.svg").read_text()
    pdf = (tmp_path / "a" / "rates.pdf").read_bytes()
    assert "<dc:date>" not in svg
    assert b"/CreationDate" not in pdf and b"/ModDate" not in pdf
    assert (tmp_path / "a" / "rates.txt").read_text() == "Rates per outlet.\n"
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_png_is_300_dpi(tmp_path, rates):
    from PIL import Image

    fig = plots.bar_chart(rates, category="group", value="rate", title="t", n="n = 3", xlabel="x")
    plots.save_figure(fig, tmp_path / "bars", caption="c", formats=["png"])
    with Image.open(tmp_path / "bars.png") as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
        assert image.size[0] == pytest.approx(3.5 * 300, abs=2)


def test_save_figure_checks_formats_and_caption(tmp_path, rates):
    fig = plots.bar_chart(rates, category="group", value="rate", title="t", n="n = 3", xlabel="x")
    with pytest.raises(ValueError, match="choose from"):
        plots.save_figure(fig, tmp_path / "x", caption="c", formats="png,jpg")
    with pytest.raises(ValueError, match="caption is required"):
        plots.save_figure(fig, tmp_path / "x", caption="  ")
    assert plots.save_figure(fig, tmp_path / "x", caption="c", formats="svg")[0].name == "x.svg"


def test_heatmap_and_term_panels_draw_every_label():
    matrix = pd.DataFrame([[1.0, 0.4], [0.4, 1.0]], index=["a1", "a2"], columns=["a1", "a2"])
    fig = plots.heatmap(matrix, title="Similarity", n="n = 2 articles", colorbar_label="cosine")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["a1", "a2"]
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["0.40", "0.40", "1.00", "1.00"]
    terms = pd.DataFrame({"group": ["TASS"] * 3 + ["RT"], "term": ["a", "b", "c", "d"], "z": [3.0, 1.0, 2.0, 5.0]})
    fig = plots.term_panels(terms, value="z", title="Distinctive terms", n="n = 2 outlets", xlabel="z", top=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title("left") for ax in visible] == ["TASS", "RT"]
    assert [t.get_text() for t in visible[0].get_yticklabels()] == ["a", "c"]

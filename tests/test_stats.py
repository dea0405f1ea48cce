import math

import numpy as np
import pytest

from analysis import stats


def _wilson_by_hand(k, n, z=1.959963984540054):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize(("k", "n"), [(0, 10), (5, 10), (10, 10), (1, 3), (37, 412)])
def test_wilson_matches_the_formula(k, n):
    low, high = stats.wilson(k, n)
    expected = _wilson_by_hand(k, n)
    assert float(low) == pytest.approx(max(expected[0], 0), abs=1e-12)
    assert float(high) == pytest.approx(min(expected[1], 1), abs=1e-12)


def test_wilson_is_vectorized_and_nan_without_trials():
    low, high = stats.wilson([0, 2, 5], [0, 4, 5])
    assert np.isnan(low[0]) and np.isnan(high[0])
    assert low[1] < 0.5 < high[1] and high[2] == 1.0


def test_bootstrap_ratio_contains_estimate_is_seeded_and_narrows():
    rng = np.random.default_rng(1)
    tokens = rng.integers(300, 700, size=200)
    hits = rng.binomial(tokens, 0.01)
    estimate = hits.sum() / tokens.sum()
    few = stats.bootstrap_ratio(hits[:10], tokens[:10])
    many = stats.bootstrap_ratio(hits, tokens)
    assert many[0] < estimate < many[1]
    assert stats.bootstrap_ratio(hits, tokens) == many
    assert many[1] - many[0] < few[1] - few[0]


def test_bootstrap_of_nothing_is_nan():
    assert all(math.isnan(x) for x in stats.bootstrap_ratio([], []))


def test_small_sample():
    assert stats.small_sample(4) and not stats.small_sample(5)
    assert list(stats.small_sample(np.array([10, 10]), np.array([999, 1000]))) == [True, False]


def test_bootstrap_draws_do_not_depend_on_the_block_size(monkeypatch):
    rng = np.random.default_rng(5)
    tokens = rng.integers(100, 900, size=300)
    hits = rng.binomial(tokens, 0.02)
    whole = stats.bootstrap_ratio(hits, tokens, n_boot=700, seed=4)
    monkeypatch.setattr(stats, "BOOTSTRAP_CELLS", 300 * 3)  # three replicates at a time
    assert stats.bootstrap_ratio(hits, tokens, n_boot=700, seed=4) == whole


def test_bootstrap_needs_two_units_with_a_denominator():
    assert all(math.isnan(x) for x in stats.bootstrap_ratio([3], [100]))
    assert all(math.isnan(x) for x in stats.bootstrap_ratio([3, 0], [100, 0]))
    low, high = stats.bootstrap_ratio([3, 1], [100, 100])
    assert low == pytest.approx(0.01) and high == pytest.approx(0.03)  # the replicates: 1/100, 2/100, 3/100


def test_bootstrap_mean_matches_the_mean():
    values = np.array([0.1, -0.3, 0.5, 0.2, 0.0, 0.4])
    low, high = stats.bootstrap_mean(values)
    assert low < values.mean() < high


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.bootstrap_ratio([1, 2], [10]), "one value per unit"),
        (lambda: stats.bootstrap_ratio([1, 2], [10, 10], n_boot=0), "n_boot"),
        (lambda: stats.wilson(1, 2, confidence=95), "confidence"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bootstrap_ratios_equal_the_shared_bootstrap_column_by_column(monkeypatch):
    rng = np.random.default_rng(3)
    tokens = rng.integers(200, 900, size=40)
    hits = np.column_stack([rng.binomial(tokens, 0.01), rng.binomial(tokens, 0.03), np.zeros(40, dtype=int)])
    low, high = stats.bootstrap_ratios(hits, tokens, n_boot=500, seed=11)
    for column in range(2):
        assert (low[column], high[column]) == pytest.approx(stats.bootstrap_ratio(hits[:, column], tokens, n_boot=500, seed=11))
    assert (low[2], high[2]) == (0, 0)
    monkeypatch.setattr(stats, "BOOTSTRAP_CELLS", 7 * 40)  # seven replicates at a time: same draws, same intervals
    chunked = stats.bootstrap_ratios(hits, tokens, n_boot=500, seed=11)
    np.testing.assert_allclose(chunked, (low, high))


def test_bootstrap_ratios_resample_a_shared_denominator_once_with_the_same_intervals():
    rng = np.random.default_rng(5)
    tokens = rng.integers(200, 900, size=(60, 2))
    hits = rng.binomial(np.repeat(tokens, 3, axis=1), 0.02)  # three measures over each of two denominators
    shared = stats.bootstrap_ratios(hits, np.repeat(tokens, 3, axis=1), n_boot=400, seed=2)
    for column in range(6):
        alone = stats.bootstrap_ratios(hits[:, column], tokens[:, column // 3], n_boot=400, seed=2)
        np.testing.assert_array_equal([shared[0][column], shared[1][column]], [alone[0][0], alone[1][0]])


def test_bootstrap_ratios_need_two_articles_with_a_denominator():
    low, high = stats.bootstrap_ratios([[3, 1], [0, 0]], [[100, 50], [0, 40]])
    assert np.isnan(low[0]) and np.isnan(high[0])  # one article with tokens
    assert low[1] <= 1 / 90 <= high[1]

"""``framing code train`` and ``framing code apply`` on 3,000 sentences: CPU seconds on one core.

    python benchmarks/bench_coding.py --sentences 3000

The sentences are synthetic: words drawn at random from the seed articles' word frequencies,
15-40 per sentence, a loaded word planted in 40% of them (the label, flipped for 10% as coders
err), so that the vocabulary and the sentence lengths are those of news and the timing does not
depend on a corpus this repository cannot ship. When ``../shared/validation/babe`` is beside
the repository, the same is timed on BABE's 2,673 annotated sentences. Prints the CPU seconds
of training (5-fold cross-validation, calibration and the final fit), of applying the model to
the same sentences as a corpus would, and the cross-validated macro-F1.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.coding import load_codebook, read_training_data, train_codebook
from analysis.corpus import load_corpus
from analysis.tokens import tokenize

PLANTED = ["disgraceful", "radical", "so-called", "outrageous", "notorious", "shameful", "draconian", "bogus"]
BABE = Path(__file__).resolve().parents[2] / "shared" / "validation" / "babe" / "babe_sg2_dev.csv"


def synthetic_sentences(n: int, *, seed: int = 0) -> pd.DataFrame:
    """``n`` BABE-style rows (``text``, ``label_bias``) of seed-vocabulary words with planted loaded words."""
    rng = np.random.default_rng(seed)
    words = tokenize(load_corpus())["token"].str.lower().value_counts()
    vocabulary, weights = words.index.to_numpy(), (words / words.sum()).to_numpy()
    rows = []
    for _ in range(n):
        sentence = list(rng.choice(vocabulary, size=int(rng.integers(15, 41)), p=weights))
        loaded = rng.random() < 0.4
        if loaded:
            sentence.insert(int(rng.integers(0, len(sentence))), str(rng.choice(PLANTED)))
        if rng.random() < 0.1:
            loaded = not loaded
        rows.append((" ".join(sentence).capitalize() + ".", "Biased" if loaded else "Non-biased"))
    return pd.DataFrame(rows, columns=["text", "label_bias"])


def time_one(path: Path, label: str) -> None:
    codebook = load_codebook("loaded_language")
    started = time.process_time()
    training = read_training_data(path, codebook)
    model = train_codebook(training, codebook=codebook)
    trained = time.process_time() - started
    texts = training["biased"]["text"]
    started = time.process_time()
    model.classifier().probabilities(texts)
    applied = time.process_time() - started
    macro = model.metrics.set_index("metric").loc["macro_f1", "value"]
    print(
        f"{label}: {len(texts):,} sentences; train {trained:.1f} CPU s (5-fold CV + fit); apply {applied:.1f} CPU s; CV macro-F1 {macro:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic.csv"
        synthetic_sentences(args.sentences).to_csv(path, index=False)
        time_one(path, "synthetic")
    if BABE.is_file():
        time_one(BABE, "BABE (development split)")
    else:
        print(f"BABE not found at {BABE}: only the synthetic sentences were timed")


if __name__ == "__main__":
    main()

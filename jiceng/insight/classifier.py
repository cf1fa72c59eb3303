"""The category classifier itself: features, training, prediction, evaluation. No ORM here.

A text is a request's title and description, of which the classifier reads only the first
`Config.title_chars` and `Config.body_chars` characters (`bounded`, the one place the cap is
applied, at training and prediction alike). Features are two TF-IDF blocks side by side:
jieba words (`jiceng.core.text.words`) and character 1–2-grams of the normalised text, the title
counted twice. A linear SVM per category (one-vs-rest, balanced class weights)
scores them; confidences are those scores calibrated by Platt scaling on internal
cross-validation folds (`CalibratedClassifierCV`), so "0.9" means about nine in ten right on
held-out requests of the training data. Unlabelled texts, when given, widen the vocabulary and
the IDF statistics and, with `self_training`, add their confidently predicted labels to the
training data once. Why these choices: docs/PERFORMANCE.md, "Classification".
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, hstack, vstack
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from jiceng.core.text import normalise, words


@dataclass(frozen=True)
class Text:
    title: str
    body: str


BODY_CHARS = 300


@dataclass(frozen=True)
class Config:
    """The choices cross-validation settled on (docs/PERFORMANCE.md); tests may shrink them."""

    title_weight: int = 2
    # Only the beginning of a text is read, so that a long one classifies as fast as a typical
    # one; None reads everything. Chosen by cross-validation (docs/PERFORMANCE.md, section 4).
    title_chars: int | None = 100
    body_chars: int | None = BODY_CHARS
    char_ngrams: tuple[int, int] = (1, 2)
    use_words: bool = True
    sublinear_tf: bool = False
    c: float = 1.0
    balanced: bool = True
    calibration_folds: int = 3
    self_training: float = 0.0  # minimum confidence of an unlabelled text's label; 0 = off
    min_df: int = 1
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def bounded(text: Text, config: Config) -> Text:
    """The part of `text` the classifier reads: training, prediction and evaluation all call
    this, so a long description is cut the same way everywhere."""
    return Text(text.title[: config.title_chars], text.body[: config.body_chars])


def _word_doc(text: Text, weight: int) -> str:
    return " ".join(words(text.title) * weight + words(text.body))


def _char_doc(text: Text, weight: int) -> str:
    return " ".join([normalise(text.title)] * weight + [normalise(text.body)])


def _docs(texts: Sequence[Text], config: Config) -> tuple[list[str], list[str]]:
    """Character and word documents of the bounded texts (word ones only when words are used)."""
    weight = config.title_weight
    cut = [bounded(t, config) for t in texts]
    return (
        [_char_doc(t, weight) for t in cut],
        [_word_doc(t, weight) for t in cut] if config.use_words else [],
    )


def _split(doc: str) -> list[str]:
    return doc.split(" ")


class TextClassifier:
    """Fitted on labelled texts; `top` gives the best categories with confidences."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.labels: list[str] = []
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._model: CalibratedClassifierCV | None = None

    # --- features -------------------------------------------------------------------------
    def _vectorisers(self) -> tuple[TfidfVectorizer | None, TfidfVectorizer]:
        c = self.config
        word = (
            TfidfVectorizer(
                analyzer=_split, sublinear_tf=c.sublinear_tf, min_df=c.min_df, dtype=np.float32
            )
            if c.use_words
            else None
        )
        char = TfidfVectorizer(
            analyzer="char",
            ngram_range=c.char_ngrams,
            sublinear_tf=c.sublinear_tf,
            min_df=c.min_df,
            lowercase=False,
            dtype=np.float32,
        )
        return word, char

    def _features(self, texts: Sequence[Text]) -> csr_matrix:
        assert self._char is not None
        char_docs, word_docs = _docs(texts, self.config)
        blocks = [self._char.transform(char_docs)]
        if self._word is not None:
            blocks.append(self._word.transform(word_docs))
        return hstack(blocks, format="csr")

    # --- training ---------------------------------------------------------------------------
    def _estimator(self, n_per_class: int) -> CalibratedClassifierCV:
        c = self.config
        svm = LinearSVC(C=c.c, class_weight="balanced" if c.balanced else None, random_state=c.seed)
        folds = max(2, min(c.calibration_folds, n_per_class))
        # One SVM trained on all the rows; the sigmoids are fitted on its cross-validated scores
        # (an ensemble of fold models would each see only part of the rows, and scored worse).
        return CalibratedClassifierCV(svm, cv=folds, method="sigmoid", ensemble=False)

    def fit(
        self,
        texts: Sequence[Text],
        labels: Sequence[str],
        *,
        unlabelled: Sequence[Text] = (),
    ) -> TextClassifier:
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        if len(counts) < 2:
            raise ValueError("training needs at least two categories")
        if min(counts.values()) < 2:
            raise ValueError("every category needs at least two examples")
        char_docs, word_docs = _docs([*texts, *unlabelled], self.config)
        self._word, self._char = self._vectorisers()
        self._char.fit(char_docs)
        if self._word is not None:
            self._word.fit(word_docs)
        x = self._features(texts)
        y = np.asarray(labels)
        self._model = self._estimator(min(counts.values())).fit(x, y)
        if unlabelled and self.config.self_training > 0:
            xu = self._features(unlabelled)
            proba = self._model.predict_proba(xu)
            keep = proba.max(axis=1) >= self.config.self_training
            if keep.any():
                pseudo = self._model.classes_[proba.argmax(axis=1)[keep]]
                self._model = self._estimator(min(counts.values())).fit(
                    vstack([x, xu[keep]]), np.concatenate([y, pseudo])
                )
        self.labels = [str(label) for label in self._model.classes_]
        return self

    # --- prediction -------------------------------------------------------------------------
    def probabilities(self, texts: Sequence[Text]) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("the classifier is not trained")
        return np.asarray(self._model.predict_proba(self._features(texts)))

    def predict(self, texts: Sequence[Text]) -> list[str]:
        proba = self.probabilities(texts)
        return [self.labels[i] for i in proba.argmax(axis=1)]

    def top(self, text: Text, k: int = 3) -> list[tuple[str, float]]:
        """The `k` most likely categories, best first, with confidences that sum to at most 1.

        One text at a time (intake, the prediction job) takes the fast path: the same
        arithmetic as `probabilities`, without scikit-learn's per-call overhead.
        """
        proba = self._fast().probabilities(bounded(text, self.config), self.config.title_weight)
        order = np.argsort(-proba)[:k]
        return [(self.labels[i], float(proba[i])) for i in order]

    def _fast(self) -> _OneText:
        fast = self.__dict__.get("_one_text")
        if fast is None:
            if self._model is None or self._char is None:
                raise RuntimeError("the classifier is not trained")
            fast = self.__dict__["_one_text"] = _OneText(self._model, self._char, self._word)
        return fast

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_one_text", None)  # rebuilt after loading
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        config = state.get("config")
        if isinstance(config, Config) and "body_chars" not in config.__dict__:
            # A model stored before texts were bounded read them whole: keep predicting so.
            object.__setattr__(config, "title_chars", None)
            object.__setattr__(config, "body_chars", None)
        self.__dict__.update(state)

    def describe(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "labels": self.labels}


THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


class _OneText:
    """`CalibratedClassifierCV.predict_proba` (sigmoid, one estimator) for a single text.

    TF-IDF of each block by dictionary look-ups, the SVM's scores from the columns of its weights
    that the text uses, Platt's sigmoid per category, normalised to sum to one, exactly as
    scikit-learn computes them (tests compare the two).
    """

    def __init__(
        self,
        model: CalibratedClassifierCV,
        char: TfidfVectorizer,
        word: TfidfVectorizer | None,
    ) -> None:
        calibrated = model.calibrated_classifiers_
        if len(calibrated) != 1:
            raise ValueError("the fast path needs one calibrated estimator (ensemble=False)")
        svm = calibrated[0].estimator
        self.coef = np.ascontiguousarray(svm.coef_.T, dtype=np.float64)  # features × scores
        self.intercept = np.asarray(svm.intercept_, dtype=np.float64)
        self.a = np.array([c.a_ for c in calibrated[0].calibrators], dtype=np.float64)
        self.b = np.array([c.b_ for c in calibrated[0].calibrators], dtype=np.float64)
        self.n_classes = len(model.classes_)
        self.sublinear = bool(char.sublinear_tf)
        self.char = (char.build_analyzer(), char.vocabulary_, np.asarray(char.idf_, np.float64))
        self.word = (
            (word.build_analyzer(), word.vocabulary_, np.asarray(word.idf_, np.float64))
            if word is not None
            else None
        )
        self.word_offset = len(char.vocabulary_)

    def _block(
        self, tokens: list[str], vocabulary: dict[str, int], idf: np.ndarray, offset: int
    ) -> tuple[np.ndarray, np.ndarray]:
        counts: dict[int, int] = {}
        for token in tokens:
            column = vocabulary.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear:
            values = np.log(values) + 1.0
        values *= idf[columns]
        norm = float(np.sqrt(values @ values))
        if norm > 0:
            values /= norm
        return columns + offset, values

    def probabilities(self, text: Text, weight: int) -> np.ndarray:
        """Of a text already `bounded`."""
        analyse, vocabulary, idf = self.char
        columns, values = self._block(analyse(_char_doc(text, weight)), vocabulary, idf, 0)
        if self.word is not None:
            analyse, vocabulary, idf = self.word
            more, more_values = self._block(
                analyse(_word_doc(text, weight)), vocabulary, idf, self.word_offset
            )
            columns = np.concatenate([columns, more])
            values = np.concatenate([values, more_values])
        scores = values @ self.coef[columns] + self.intercept
        calibrated = expit(-(self.a * scores + self.b))
        if self.n_classes == 2:
            return np.array([1.0 - calibrated[0], calibrated[0]])
        total = calibrated.sum()
        if total == 0:
            return np.full(self.n_classes, 1.0 / self.n_classes)
        return np.asarray(calibrated / total)


# --- evaluation ---------------------------------------------------------------------------------
def scores(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Macro-F1, accuracy and per-class precision, recall, F1 and support."""
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    return {
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "per_class": {
            label: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }


def train_and_test(
    train: Sequence[tuple[Text, str]],
    test: Sequence[tuple[Text, str]],
    *,
    config: Config | None = None,
    unlabelled: Sequence[Text] = (),
) -> dict[str, Any]:
    """Train on `train`, predict `test`: scores plus predictions per second (one at a time)."""
    classifier = TextClassifier(config).fit(
        [t for t, _ in train], [label for _, label in train], unlabelled=unlabelled
    )
    started = time.perf_counter()
    predicted = [classifier.top(text, 1)[0][0] for text, _ in test]
    elapsed = time.perf_counter() - started
    result = scores([label for _, label in test], predicted)
    result["predictions_per_second"] = round(len(test) / elapsed, 1) if elapsed > 0 else None
    return result


def cross_validate(
    rows: Sequence[tuple[Text, str]],
    *,
    config: Config | None = None,
    folds: int = 5,
    unlabelled: Sequence[Text] = (),
    seed: int = 0,
) -> dict[str, Any]:
    """Stratified k-fold: mean and standard deviation of macro-F1 and accuracy over the folds.

    Unlabelled texts take part in training only; the held-out fold is never seen before it is
    predicted.
    """
    labels = np.asarray([label for _, label in rows])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    f1s: list[float] = []
    accuracies: list[float] = []
    confident: dict[float, list[bool]] = {t: [] for t in THRESHOLDS}
    for train_index, test_index in splitter.split(np.zeros(len(rows)), labels):
        classifier = TextClassifier(config).fit(
            [rows[i][0] for i in train_index],
            [rows[i][1] for i in train_index],
            unlabelled=unlabelled,
        )
        proba = classifier.probabilities([rows[i][0] for i in test_index])
        predicted = [classifier.labels[i] for i in proba.argmax(axis=1)]
        truth = [rows[i][1] for i in test_index]
        f1s.append(float(f1_score(truth, predicted, average="macro", zero_division=0)))
        accuracies.append(float(accuracy_score(truth, predicted)))
        for threshold, kept in confident.items():
            kept.extend(
                p == t
                for p, t, best in zip(predicted, truth, proba.max(axis=1), strict=True)
                if best >= threshold
            )
    return {
        # Share of held-out texts at or above each confidence, and how many of those were right:
        # what a threshold for setting the category automatically would do.
        "thresholds": {
            str(threshold): {
                "coverage": round(len(kept) / len(rows), 4),
                "accuracy": round(sum(kept) / len(kept), 4) if kept else None,
            }
            for threshold, kept in confident.items()
        },
        "folds": folds,
        "macro_f1_mean": round(float(np.mean(f1s)), 4),
        "macro_f1_sd": round(float(np.std(f1s)), 4),
        "accuracy_mean": round(float(np.mean(accuracies)), 4),
        "accuracy_sd": round(float(np.std(accuracies)), 4),
        "macro_f1_folds": [round(f, 4) for f in f1s],
    }

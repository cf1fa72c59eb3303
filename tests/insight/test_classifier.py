"""The category classifier: training, persistence, versions, the threshold, corrections."""

from __future__ import annotations

import copy
import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiceng.cases.models import Case, CaseEvent, Category, Channel, EventKind
from jiceng.cases.services import case_submit
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.core.process_cache import forget_all
from jiceng.insight import classifier_services as services
from jiceng.insight.classifier import (
    BODY_CHARS,
    Config,
    Text,
    TextClassifier,
    bounded,
    cross_validate,
    scores,
)
from jiceng.insight.models_classifier import (
    CategoryCorrection,
    CategoryPrediction,
    ClassifierModel,
    PredictionSource,
)
from jiceng.orgs.roles import Role
from tests.factories import actor_for
from tests.insight.classifier_corpus import rows
from tests.insight.classifier_helpers import FAST, store_corpus, trained
from tests.shared_data import shared_file

LIFT_TEXT = ("电梯又坏了", "单元电梯坏了好几天，老人下不了楼，请尽快维修电梯。")


@pytest.fixture(autouse=True)
def _model_folder(settings, tmp_path):
    settings.CLASSIFIER_DIR = tmp_path / "models"
    settings.CLASSIFIER_THRESHOLD = 0.6
    settings.CLASSIFIER_FALLBACK_CATEGORY = "other-matters"


def _corpus() -> tuple[list[Text], list[str]]:
    data = rows()
    return [Text(t, b) for t, b, _ in data], [code for _, _, code in data]


# --- the pure classifier ----------------------------------------------------------------------
class TestTextClassifier:
    def test_it_learns_the_corpus_and_ranks_with_confidences(self):
        texts, labels = _corpus()
        classifier = TextClassifier(FAST).fit(texts, labels)
        ranked = classifier.top(Text(*LIFT_TEXT), k=3)
        assert ranked[0][0] == "lift"
        confidences = [confidence for _, confidence in ranked]
        assert confidences == sorted(confidences, reverse=True)
        assert 0 < sum(confidences) <= 1.0001
        assert sorted(classifier.labels) == ["lift", "noise", "rubbish"]

    @pytest.mark.parametrize("labels_used", [3, 2])
    def test_one_text_at_a_time_gives_what_scikit_learn_gives(self, labels_used):
        texts, labels = _corpus()
        keep = [
            i
            for i, label in enumerate(labels)
            if label in ("lift", "noise", "rubbish")[:labels_used]
        ]
        classifier = TextClassifier(FAST).fit([texts[i] for i in keep], [labels[i] for i in keep])
        queries = [Text(*LIFT_TEXT), Text("吵", "噪音"), Text("", "没有任何已知的字眼"), texts[0]]
        expected = classifier.probabilities(queries)
        for query, row in zip(queries, expected, strict=True):
            ranked = dict(classifier.top(query, k=labels_used))
            assert [ranked[label] for label in classifier.labels] == pytest.approx(row, abs=1e-5)

    def test_unlabelled_texts_and_self_training_are_accepted(self):
        texts, labels = _corpus()
        unlabelled = [Text("电梯维修", "电梯坏了请维修"), Text("噪音", "晚上太吵了")]
        config = Config(calibration_folds=2, self_training=0.5)
        classifier = TextClassifier(config).fit(texts, labels, unlabelled=unlabelled)
        assert classifier.predict([Text(*LIFT_TEXT)]) == ["lift"]

    @pytest.mark.parametrize(
        ("labels", "message"),
        [(["a"] * 4, "two categories"), (["a", "a", "a", "b"], "two examples")],
    )
    def test_too_little_to_learn_is_refused(self, labels, message):
        with pytest.raises(ValueError, match=message):
            TextClassifier(FAST).fit([Text("标题", "内容")] * 4, labels)

    def test_predicting_untrained_is_an_error(self):
        with pytest.raises(RuntimeError):
            TextClassifier().top(Text("a", "b"))

    def test_scores_and_cross_validation_have_their_shape(self):
        result = scores(["a", "a", "b"], ["a", "b", "b"])
        assert result["accuracy"] == pytest.approx(0.6667, abs=1e-4)
        assert set(result["per_class"]["a"]) == {"precision", "recall", "f1", "support"}
        texts, labels = _corpus()
        cv = cross_validate(list(zip(texts, labels, strict=True)), config=FAST, folds=3)
        assert len(cv["macro_f1_folds"]) == 3 and 0 <= cv["macro_f1_mean"] <= 1


# --- how much of a text is read ------------------------------------------------------------------
# A tail no corpus text contains: were it read, its words and characters would be features.
TAIL = "彗星陨石" * 1500
SHORT = Config(calibration_folds=2, title_chars=20, body_chars=60)


def _long(title: str, body: str) -> Text:
    """The text, then a pad as long as the bound, then the tail (never read)."""
    return Text(title + "。" * 20 + "彗星" * 10, body + "。" * 60 + TAIL)


class TestBoundedText:
    def test_the_default_reads_the_first_characters_of_a_description(self):
        text = Text("电梯", "梯" * (BODY_CHARS + 100))
        assert bounded(text, Config()) == Text("电梯", "梯" * BODY_CHARS)
        assert bounded(text, Config(title_chars=None, body_chars=None)) == text

    def test_training_reads_only_the_bounded_text(self):
        texts, labels = _corpus()
        long_texts = [_long(t.title, t.body) for t in texts]
        from_long = TextClassifier(SHORT).fit(long_texts, labels)
        from_cut = TextClassifier(SHORT).fit([bounded(t, SHORT) for t in long_texts], labels)
        assert from_long._word is not None and "彗星" not in from_long._word.vocabulary_
        assert "陨" not in from_long._char.vocabulary_  # type: ignore[union-attr]
        queries = [Text(*LIFT_TEXT), _long(*LIFT_TEXT), Text("吵", "噪音")]
        assert from_long.probabilities(queries) == pytest.approx(from_cut.probabilities(queries))

    def test_a_long_text_is_predicted_as_its_bounded_version(self):
        texts, labels = _corpus()
        classifier = TextClassifier(SHORT).fit(texts, labels)
        long_text = _long(*LIFT_TEXT)
        cut = bounded(long_text, SHORT)
        assert len(cut.body) == 60 and cut.body.startswith(LIFT_TEXT[1])
        assert classifier.top(long_text, k=3) == classifier.top(cut, k=3)
        assert classifier.probabilities([long_text]) == pytest.approx(
            classifier.probabilities([cut])
        )
        # The fast path and scikit-learn's agree on the long text too.
        ranked = dict(classifier.top(long_text, k=3))
        expected = classifier.probabilities([long_text])[0]
        assert [ranked[label] for label in classifier.labels] == pytest.approx(expected, abs=1e-5)

    def test_a_model_stored_before_texts_were_bounded_still_reads_them_whole(self):
        texts, labels = _corpus()
        classifier = TextClassifier(FAST).fit(texts, labels)
        for name in ("title_chars", "body_chars"):  # as a Config pickled by the older code
            del classifier.config.__dict__[name]
        loaded = copy.deepcopy(classifier)  # through __getstate__/__setstate__, as joblib.load
        assert (loaded.config.title_chars, loaded.config.body_chars) == (None, None)
        assert copy.deepcopy(TextClassifier()).config.body_chars == BODY_CHARS

    def test_intake_predicts_a_very_long_description_as_its_beginning(self, tree):
        trained(tree.community_a1)
        title, body = LIFT_TEXT
        long_body = body + "。" * BODY_CHARS + TAIL
        whole = services.predict(title=title, description=long_body)
        start = services.predict(title=title, description=long_body[:BODY_CHARS])
        assert whole is not None and start is not None
        assert whole.suggestions == start.suggestions


# --- training and persistence ---------------------------------------------------------------
class TestTraining:
    def test_training_stores_a_versioned_file_with_metrics_and_uses_it(self, tree, settings):
        model = trained(tree.community_a1)
        assert model.version == 1 and model.active and model.sample_count == len(rows())
        path = Path(settings.CLASSIFIER_DIR) / model.path
        assert path.is_file() and model.path == "classifier-0001.joblib"
        assert {"macro_f1", "accuracy", "per_class", "train", "test"} <= set(model.metrics)
        assert AuditEntry.objects.filter(action="insight.classifier.trained").count() == 1
        prediction = services.predict(title=LIFT_TEXT[0], description=LIFT_TEXT[1])
        assert prediction is not None and prediction.best.category.code == "lift"
        assert prediction.version == 1 and len(prediction.suggestions) == 3

    def test_the_model_is_loaded_once_and_reloaded_from_its_file(self, tree, monkeypatch):
        trained(tree.community_a1)
        first = services.active_classifier()
        assert services.active_classifier() is first  # kept by the process
        forget_all()  # a new process
        loads = []
        real_load = services.joblib.load
        monkeypatch.setattr(services.joblib, "load", lambda p: loads.append(p) or real_load(p))
        again = services.active_classifier()
        services.active_classifier()
        assert len(loads) == 1 and again is not first and again.version == 1
        text = Text(*LIFT_TEXT)
        assert again.classifier is not None and first.classifier is not None
        assert again.classifier.top(text) == first.classifier.top(text)

    def test_a_changed_file_is_not_loaded(self, tree, settings):
        model = trained(tree.community_a1)
        path = Path(settings.CLASSIFIER_DIR) / model.path
        path.write_bytes(path.read_bytes() + b"tampered")
        forget_all()
        loaded = services.active_classifier()
        assert loaded.version == 1 and loaded.classifier is None
        assert services.predict(title="电梯", description="电梯坏了") is None

    def test_versions_switch(self, tree):
        first = trained(tree.community_a1)
        second = services.classifier_train(actor=SYSTEM, config=FAST)
        first.refresh_from_db()
        assert second.version == 2 and second.active and not first.active
        assert services.active_classifier().version == 2
        services.classifier_activate(actor=SYSTEM, model=first)
        assert services.active_classifier().version == 1
        assert list(ClassifierModel.objects.filter(active=True)) == [first]

    def test_training_without_activating_keeps_the_version_in_use(self, tree):
        trained(tree.community_a1)
        services.classifier_train(actor=SYSTEM, config=FAST, activate=False)
        assert services.active_classifier().version == 1

    def test_too_few_categorised_requests_are_refused(self, tree):
        with (
            translation.override("en"),
            pytest.raises(DomainError, match="at least two categories"),
        ):
            services.classifier_train(actor=SYSTEM, config=FAST)
        assert not ClassifierModel.objects.exists()

    def test_only_district_administrators_train_and_switch(self, tree):
        model = trained(tree.community_a1)
        for role in (Role.COMMUNITY_STAFF, Role.STREET_SUPERVISOR, Role.SYSTEM_ADMIN):
            actor = actor_for(tree.people[role])
            with pytest.raises(Forbidden):
                services.classifier_train(actor=actor, config=FAST)
            with pytest.raises(Forbidden):
                services.classifier_activate(actor=actor, model=model)
        admin = actor_for(tree.people[Role.DISTRICT_ADMIN])
        assert services.classifier_train(actor=admin, config=FAST).trained_by == admin.user


# --- intake and the threshold ---------------------------------------------------------------
def _submit_without_category(tree, django_capture_on_commit_callbacks) -> Case:
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(
            actor=ANONYMOUS,
            category=None,
            area=tree.community_a1,
            title=LIFT_TEXT[0],
            description=LIFT_TEXT[1],
            channel=Channel.WEB,
        )
    return Case.objects.get(pk=case.pk)


class TestIntake:
    def test_above_the_threshold_the_category_is_set(
        self, tree, settings, django_capture_on_commit_callbacks
    ):
        trained(tree.community_a1)
        settings.CLASSIFIER_THRESHOLD = 0.0
        case = _submit_without_category(tree, django_capture_on_commit_callbacks)
        assert case.category.code == "lift"
        prediction = CategoryPrediction.objects.get(case=case)
        assert prediction.source == PredictionSource.AUTO
        assert prediction.category.code == "lift" and len(prediction.suggestions) == 3

    def test_below_the_threshold_staff_get_suggestions_only(
        self, tree, settings, django_capture_on_commit_callbacks
    ):
        trained(tree.community_a1)
        settings.CLASSIFIER_THRESHOLD = 1.01
        case = _submit_without_category(tree, django_capture_on_commit_callbacks)
        assert case.category.code == "other-matters"
        prediction = CategoryPrediction.objects.get(case=case)
        assert prediction.source == PredictionSource.FALLBACK
        suggested = [s.category.code for s in services.suggestions_of(prediction)]
        assert suggested[0] == "lift" and len(suggested) == 3

    def test_the_prediction_made_at_intake_is_the_one_recorded(
        self, tree, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        """The job stores what intake predicted instead of predicting the same text again."""
        trained(tree.community_a1)
        settings.CLASSIFIER_THRESHOLD = 0.0
        calls = []
        real_predict = services.predict

        def counted(**text):
            calls.append(text)
            return real_predict(**text)

        monkeypatch.setattr(services, "predict", counted)
        case = _submit_without_category(tree, django_capture_on_commit_callbacks)
        assert len(calls) == 1
        prediction = CategoryPrediction.objects.get(case=case)
        assert prediction.source == PredictionSource.AUTO
        assert prediction.category == case.category and len(prediction.suggestions) == 3
        assert prediction.confidence == prediction.suggestions[0]["confidence"]

    def test_a_chosen_category_is_kept_and_still_predicted(
        self, tree, django_capture_on_commit_callbacks
    ):
        trained(tree.community_a1)
        noise = Category.objects.get(code="noise")
        with django_capture_on_commit_callbacks(execute=True):
            case = case_submit(
                actor=ANONYMOUS,
                category=noise,
                area=tree.community_a1,
                title=LIFT_TEXT[0],
                description=LIFT_TEXT[1],
                channel=Channel.WEB,
            )
        case.refresh_from_db()
        assert case.category == noise
        prediction = CategoryPrediction.objects.get(case=case)
        assert prediction.source == PredictionSource.PERSON and prediction.category.code == "lift"

    def test_without_a_model_nothing_is_predicted_and_the_fallback_is_used(
        self, tree, django_capture_on_commit_callbacks
    ):
        case = _submit_without_category(tree, django_capture_on_commit_callbacks)
        assert case.category.code == "other-matters"
        assert not CategoryPrediction.objects.exists()

    def test_without_a_model_or_fallback_the_resident_must_choose(self, tree, settings):
        settings.CLASSIFIER_FALLBACK_CATEGORY = "no-such-category"
        with pytest.raises(DomainError) as caught:
            case_submit(
                actor=ANONYMOUS,
                category=None,
                area=tree.community_a1,
                title="标题",
                description="内容",
                channel=Channel.WEB,
            )
        assert caught.value.field == "category"
        assert not Case.objects.exists()


# --- corrections ------------------------------------------------------------------------------
class TestCorrections:
    def test_a_correction_changes_the_category_and_becomes_training_data(
        self, tree, settings, django_capture_on_commit_callbacks
    ):
        trained(tree.community_a1)
        settings.CLASSIFIER_THRESHOLD = 1.01
        case = _submit_without_category(tree, django_capture_on_commit_callbacks)
        labelled = {text.title: label for text, label in services.training_rows()}
        assert case.title not in labelled  # the fallback teaches nothing
        staff = actor_for(tree.people[Role.COMMUNITY_STAFF])
        lift = Category.objects.get(code="lift")
        services.case_recategorise(actor=staff, case=case, category=lift)
        case.refresh_from_db()
        assert case.category == lift
        correction = CategoryCorrection.objects.get(case=case)
        assert correction.from_category.code == "other-matters" and correction.to_category == lift
        assert correction.predicted == lift and correction.actor == staff.user
        event = CaseEvent.objects.get(case=case, kind=EventKind.NOTE)
        assert not event.public and ("电梯故障" in event.note or "Lift" in event.note)
        assert AuditEntry.objects.filter(action="cases.case.recategorised").count() == 1
        labelled = {text.title: label for text, label in services.training_rows()}
        assert labelled[case.title] == "lift"
        new = services.classifier_train(actor=SYSTEM, config=FAST)
        assert new.sample_count == len(rows()) + 1

    def test_bad_corrections_change_nothing(self, tree):
        cases = store_corpus(tree.community_a1)
        case = cases[0]
        staff = actor_for(tree.people[Role.COMMUNITY_STAFF])
        group = Category.objects.filter(parent=None).first()
        assert group is not None
        with pytest.raises(DomainError):
            services.case_recategorise(actor=staff, case=case, category=case.category)
        with pytest.raises(DomainError):
            services.case_recategorise(actor=staff, case=case, category=group)
        stale = Case.objects.get(pk=case.pk)
        services.case_recategorise(
            actor=staff, case=case, category=Category.objects.get(code="noise")
        )
        with pytest.raises(Conflict):
            services.case_recategorise(
                actor=staff, case=stale, category=Category.objects.get(code="lift")
            )
        assert CategoryCorrection.objects.count() == 1

    @pytest.mark.parametrize(
        ("role", "allowed"),
        [
            (Role.GRID_WORKER, False),  # the case is held by the community, not the grid
            (Role.COMMUNITY_STAFF, True),
            (Role.BRANCH_SECRETARY, True),
            (Role.STREET_SUPERVISOR, True),
            (Role.DISTRICT_ADMIN, True),
            (Role.DISCIPLINE_INSPECTOR, False),
            (Role.SYSTEM_ADMIN, False),
        ],
    )
    def test_who_may_correct(self, tree, role, allowed):
        case = store_corpus(tree.community_a1)[0]
        actor = actor_for(tree.people[role])
        noise = Category.objects.get(code="noise")
        assert services.can_recategorise(actor, case) is allowed
        if not allowed:
            with pytest.raises(Forbidden):
                services.case_recategorise(actor=actor, case=case, category=noise)
            assert not CategoryCorrection.objects.exists()
        else:
            services.case_recategorise(actor=actor, case=case, category=noise)

    def test_staff_of_another_street_may_not_correct(self, tree):
        case = store_corpus(tree.community_b1)[0]
        actor = actor_for(tree.people[Role.COMMUNITY_STAFF])
        assert not services.can_recategorise(actor, case)


# --- commands ---------------------------------------------------------------------------------
def _write_csv(path: Path, data: list[tuple[str, str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "body", "category"])
        for number, (title, body, category) in enumerate(data):
            writer.writerow([number, title, body, category])
    return path


def _last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


class TestCommands:
    def test_evaluate_prints_the_scores_as_its_last_line(self, tmp_path):
        data = rows()
        train = _write_csv(tmp_path / "train.csv", [r for i, r in enumerate(data) if i % 4])
        test = _write_csv(tmp_path / "test.csv", [r for i, r in enumerate(data) if not i % 4])
        out = StringIO()
        call_command("classifier_evaluate", "--train", train, "--test", test, stdout=out)
        result = _last_json(out.getvalue())
        assert set(result) == {"macro_f1", "accuracy", "per_class", "predictions_per_second"}
        assert set(result["per_class"]) == {"rubbish", "noise", "lift"}
        assert 0 <= result["macro_f1"] <= 1 and result["predictions_per_second"] > 0

    def test_evaluate_explains_bad_files(self, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("id,title\n1,x\n", encoding="utf-8")
        good = _write_csv(tmp_path / "good.csv", rows())
        with translation.override("en"), pytest.raises(CommandError, match="missing columns"):
            call_command("classifier_evaluate", "--train", bad, "--test", good)
        with pytest.raises(CommandError, match="No such file"):
            call_command("classifier_evaluate", "--train", tmp_path / "none.csv", "--test", good)

    def test_evaluate_on_the_shared_messages(self, tmp_path):
        labelled = shared_file("messages-labelled-921.csv")
        with labelled.open(encoding="utf-8-sig") as handle:
            records = list(csv.DictReader(handle))
        data = [(r["title"], r["body"], r["category"]) for r in records]
        train = _write_csv(tmp_path / "train.csv", [r for i, r in enumerate(data) if i % 5])
        test = _write_csv(tmp_path / "test.csv", [r for i, r in enumerate(data) if not i % 5])
        out = StringIO()
        call_command("classifier_evaluate", "--train", train, "--test", test, stdout=out)
        result = _last_json(out.getvalue())
        assert set(result) == {"macro_f1", "accuracy", "per_class", "predictions_per_second"}
        assert len(result["per_class"]) == 7

    def test_train_command(self, tree):
        with (
            translation.override("en"),
            pytest.raises(CommandError, match="at least two categories"),
        ):
            call_command("classifier_train", stdout=StringIO())
        store_corpus(tree.community_a1)
        out = StringIO()
        call_command("classifier_train", stdout=out)
        assert _last_json(out.getvalue())["version"] == 1
        assert ClassifierModel.objects.get().active

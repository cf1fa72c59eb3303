"""Demo of case classification: a model trained on the demo requests, predictions on the open
ones, and a few new requests whose residents left the category to the classifier.

The new requests' texts were written for this demo. Some are clear (the classifier sets their
category), some are vague on purpose (they get the fallback category and staff see three
suggestions to pick from).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from jiceng.cases.models import OPEN_STATUSES, Case, Channel
from jiceng.cases.services import case_submit
from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.core.errors import DomainError
from jiceng.insight.classifier_services import classifier_train, predictions_record
from jiceng.insight.models_classifier import CategoryPrediction, ClassifierModel, PredictionSource
from jiceng.orgs.demo_data import DemoPeople, Writer
from jiceng.orgs.roles import Role, UnitKind

# Not "DEMO-": that prefix counts the replayed year of demo requests (jiceng.cases.demo_data).
DEMO_PREFIX = "CLS-DEMO-"

# (title, description) of requests that arrive without a category.
UNCATEGORISED: list[tuple[str, str]] = [
    (
        "楼下垃圾桶三天没人清理",
        "我们楼下的几个垃圾桶已经满了三天，没人来清运，天热味道很大，苍蝇也多，请安排清理。",
    ),
    (
        "晚上广场舞音响太吵",
        "每天晚上九点多了小区广场上还在跳舞，音响开得很大声，孩子写作业和老人睡觉都受影响。",
    ),
    (
        "电梯又停了老人下不了楼",
        "3号楼的电梯这周第二次坏了，困在里面过一次，家里老人腿脚不便，现在没法下楼，请物业尽快修好。",
    ),
    (
        "想问问孩子上学的事",
        "我们家刚搬来，孩子明年要上小学，不知道划片在哪个学校，需要准备什么材料，去哪里办。",
    ),
    ("有个事情想反映一下", "最近这边有些情况，希望社区能来看看，具体的可以电话联系我。"),
    (
        "路边的灯和门口的坑",
        "小区门口那段路晚上黑乎乎的，路面还有个坑，前几天有人骑车摔了，也不知道该找谁。",
    ),
]


def seed_classifier(people: DemoPeople, stdout: Writer) -> int:
    """Train the demo model (seconds), predict the open demo requests and add a few requests
    without a category. Returns the new model's version, or 0 when one existed already."""
    if ClassifierModel.objects.exists():
        stdout.write(_("A classifier model exists already; no demo model trained."))
        return 0
    try:
        model = classifier_train(actor=SYSTEM)
    except DomainError as error:
        stdout.write(str(error.message))
        return 0
    stdout.write(
        _("Trained classifier version %(version)d on %(count)d demo requests (macro-F1 %(f1)s).")
        % {
            "version": model.version,
            "count": model.sample_count,
            "f1": model.metrics.get("macro_f1"),
        }
    )
    # In the community of the headline staff account, so the demo's staff find them.
    area = next(
        (a.unit for a in people.headline if a.role == Role.COMMUNITY_STAFF),
        next(iter(people.units_of_kind(UnitKind.COMMUNITY, UnitKind.VILLAGE)), None),
    )
    new: dict[int, str] = {}
    if area is not None:
        with transaction.atomic():
            for number, (title, description) in enumerate(UNCATEGORISED):
                case = case_submit(
                    actor=ANONYMOUS,
                    category=None,
                    area=area,
                    title=title,
                    description=description,
                    channel=Channel.WEB,
                    external_id=f"{DEMO_PREFIX}{number + 1}",
                )
                new[case.pk] = getattr(case, "category_source", PredictionSource.PERSON)
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).exclude(pk__in=new)
    sources: dict[int, str] = dict.fromkeys(
        open_cases.values_list("pk", flat=True), str(PredictionSource.PERSON)
    )
    sources.update(new)
    predictions_record(sources)
    auto = CategoryPrediction.objects.filter(source=PredictionSource.AUTO).count()
    stdout.write(
        _(
            "Predicted categories for %(count)d open requests; %(auto)d of %(new)d new requests "
            "without a category were categorised automatically."
        )
        % {"count": len(sources), "auto": auto, "new": len(new)}
    )
    return model.version

"""Writes to indicator schemes: create, clone, version, edit drafts, publish, install defaults.

A draft is edited in place; a published scheme is frozen, and changing it means starting the
next version (a draft copy). Publishing a version retires the family's previous published one,
so each family has at most one published version at a time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core.actors import Actor
from jiceng.core.audit import audit_log
from jiceng.core.errors import Conflict, DomainError
from jiceng.core.permissions import require
from jiceng.evaluation.models import Indicator, Scheme, SchemeStatus, ScoringRule, UnitClass
from jiceng.evaluation.scoring import CASE_METRICS, GUARANTEE_METRICS, UNBOUNDED_METRICS
from jiceng.orgs.models import OrgUnit

# Case metrics feed the residents' source; guarantee metrics the superior's (docs/SCORING.md).
METRIC_KEYS: tuple[str, ...] = CASE_METRICS + GUARANTEE_METRICS
# Targets and floors of metrics that are not shares (staff per 1,000 residents).
MAX_UNBOUNDED_TARGET = 1000.0
MAX_CHECKLIST_ITEMS = 30
MAX_ITEM_LENGTH = 200
MAX_SCALE_TOP = 100
MAX_POINTS = Decimal("1000")
MAX_WEIGHT = Decimal("1000")
_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
INDICATOR_FIELDS = (
    "code",
    "name",
    "guidance",
    "weight",
    "max_points",
    "rule",
    "rule_options",
    "evidence_required",
    "scored_by_self",
    "scored_by_superior",
)


# --- checks shared by the forms, the import and the services ---------------------------------
def clean_code(value: str, *, field_name: str = "code", limit: int = 32) -> str:
    code = (value or "").strip()
    if not code:
        raise DomainError(_("This field is required."), field=field_name)
    if len(code) > limit or not _CODE.match(code):
        raise DomainError(
            _("Use at most %(limit)d letters, digits, hyphens or underscores.") % {"limit": limit},
            field=field_name,
        )
    return code


def clean_text(value: str, *, field_name: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise DomainError(_("This field is required."), field=field_name)
    if len(text) > limit:
        raise DomainError(
            _("Use at most %(limit)d characters (you wrote %(count)d).")
            % {"limit": limit, "count": len(text)},
            field=field_name,
        )
    return text


def clean_decimal(
    value: Any, *, field_name: str, minimum: Decimal, maximum: Decimal, inclusive: bool = True
) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field_name) from None
    if not number.is_finite():
        raise DomainError(_("Enter a number."), field=field_name)
    too_low = number < minimum if inclusive else number <= minimum
    if too_low or number > maximum:
        raise DomainError(
            _("Enter a number from %(low)s to %(high)s.") % {"low": minimum, "high": maximum}
            if inclusive
            else _("Enter a number above %(low)s and at most %(high)s.")
            % {"low": minimum, "high": maximum},
            field=field_name,
        )
    if number != number.quantize(Decimal("0.01")):
        raise DomainError(_("Use at most two decimal places."), field=field_name)
    return number.quantize(Decimal("0.01"))


def _ratio(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DomainError(
            _("%(name)s must be a share from 0 to 1, such as 0.9.") % {"name": name},
            field="rule_options",
        )
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= 1:
        raise DomainError(
            _("%(name)s must be a share from 0 to 1, such as 0.9.") % {"name": name},
            field="rule_options",
        )
    return number


def _amount(value: Any, name: str) -> float:
    """A target or floor of a metric that is not a share: a number from 0 to 1,000."""
    message = _("%(name)s must be a number from 0 to %(limit)s, such as 3.") % {
        "name": name,
        "limit": f"{MAX_UNBOUNDED_TARGET:,.0f}",
    }
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DomainError(message, field="rule_options")
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= MAX_UNBOUNDED_TARGET:  # NaN fails too
        raise DomainError(message, field="rule_options")
    return number


def clean_rule_options(
    rule: str, options: Mapping[str, Any] | None, *, max_points: Decimal | None = None
) -> dict[str, Any]:
    """The options of an indicator's rule, checked and in their stored form."""
    options = dict(options or {})
    if rule == ScoringRule.CHECKLIST:
        items = options.get("items")
        if not isinstance(items, list | tuple):
            items = []
        cleaned = [str(item).strip() for item in items if str(item).strip()]
        if not cleaned:
            raise DomainError(_("List at least one checklist item."), field="rule_options")
        if len(cleaned) > MAX_CHECKLIST_ITEMS:
            raise DomainError(
                _("List at most %(limit)d checklist items.") % {"limit": MAX_CHECKLIST_ITEMS},
                field="rule_options",
            )
        if any(len(item) > MAX_ITEM_LENGTH for item in cleaned):
            raise DomainError(
                _("Each checklist item may have at most %(limit)d characters.")
                % {"limit": MAX_ITEM_LENGTH},
                field="rule_options",
            )
        if len(set(cleaned)) != len(cleaned):
            raise DomainError(_("The checklist lists an item twice."), field="rule_options")
        return {"items": cleaned}
    if rule == ScoringRule.SCALE:
        top = options.get("top")
        if isinstance(top, str) and top.strip().isdigit():
            top = int(top.strip())
        if isinstance(top, float) and top.is_integer():
            top = int(top)
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_SCALE_TOP:
            raise DomainError(
                _("The top of the scale must be a whole number from 1 to %(limit)d.")
                % {"limit": MAX_SCALE_TOP},
                field="rule_options",
            )
        return {"top": top}
    if rule == ScoringRule.DEDUCTION:
        raw = options.get("per_item")
        try:
            per_item = Decimal(str(raw).strip()) if not isinstance(raw, bool) else Decimal("NaN")
        except (InvalidOperation, ValueError):
            per_item = Decimal("NaN")
        if not per_item.is_finite() or per_item <= 0:
            raise DomainError(
                _("Give the points deducted per item, a number above 0."), field="rule_options"
            )
        if max_points is not None and per_item > max_points:
            raise DomainError(
                _("The points deducted per item cannot exceed the maximum points."),
                field="rule_options",
            )
        whole = per_item == per_item.to_integral_value()
        return {"per_item": int(per_item) if whole else float(per_item)}
    if rule == ScoringRule.METRIC:
        metric = str(options.get("metric") or "").strip()
        if metric not in METRIC_KEYS:
            raise DomainError(
                _("Choose one of the metrics %(metrics)s.") % {"metrics": ", ".join(METRIC_KEYS)},
                field="rule_options",
            )
        number = _amount if metric in UNBOUNDED_METRICS else _ratio
        target = number(options.get("target"), "target")
        floor = number(options.get("floor"), "floor")
        if target == floor:
            raise DomainError(
                _("The target and the floor must differ (a lower target means lower is better)."),
                field="rule_options",
            )
        return {"metric": metric, "target": target, "floor": floor}
    raise DomainError(_("Choose a scoring rule."), field="rule")


# The human form of rule options (forms and spreadsheets): checklist items one per line;
# other rules as key=value pairs separated by newlines or semicolons.
_OPTION_KEYS: dict[str, tuple[str, ...]] = {
    ScoringRule.SCALE.value: ("top",),
    ScoringRule.DEDUCTION.value: ("per_item",),
    ScoringRule.METRIC.value: ("metric", "target", "floor"),
}


def rule_options_text(rule: str, options: Mapping[str, Any]) -> str:
    if rule == ScoringRule.CHECKLIST:
        return "\n".join(str(item) for item in options.get("items", []))
    keys = _OPTION_KEYS.get(str(rule), ())
    return "; ".join(f"{key}={options[key]}" for key in keys if key in options)


def parse_rule_options(rule: str, text: str) -> dict[str, Any]:
    """The options written in their human form, not yet checked (see `clean_rule_options`)."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if rule == ScoringRule.CHECKLIST:
        return {"items": [line.strip() for line in text.split("\n") if line.strip()]}
    options: dict[str, Any] = {}
    for part in re.split(r"[;\n；]", text):
        if not part.strip():
            continue
        key, sep, value = part.replace("＝", "=").partition("=")
        if not sep:
            raise DomainError(
                _("Write the options as name=value, such as top=5."), field="rule_options"
            )
        options[key.strip().lower()] = value.strip()
    if rule == ScoringRule.METRIC:
        for key in ("target", "floor"):
            if key in options:
                # Left as text when it is not a number; clean_rule_options reports it.
                with contextlib.suppress(ValueError):
                    options[key] = float(options[key])
    return options


@dataclass
class IndicatorData:
    """One row of a tree as the services and the import check it."""

    code: str
    name: str
    guidance: str = ""
    weight: Decimal = Decimal("1")
    max_points: Decimal = Decimal("10")
    rule: str = ""
    rule_options: dict[str, Any] = field(default_factory=dict)
    evidence_required: bool = False
    scored_by_self: bool = True
    scored_by_superior: bool = True


def clean_indicator(data: IndicatorData, *, dimension: bool) -> IndicatorData:
    """The row checked and normalised; raises DomainError on the first problem."""
    code = clean_code(data.code)
    name = clean_text(data.name, field_name="name", limit=200)
    guidance = clean_text(data.guidance, field_name="guidance", limit=2000, required=False)
    weight = clean_decimal(
        data.weight, field_name="weight", minimum=Decimal("0"), maximum=MAX_WEIGHT
    )
    if dimension:
        if data.rule:
            raise DomainError(
                _("A dimension has no scoring rule; its indicators do."), field="rule"
            )
        return IndicatorData(code=code, name=name, guidance=guidance, weight=weight)
    max_points = clean_decimal(
        data.max_points,
        field_name="max_points",
        minimum=Decimal("0"),
        maximum=MAX_POINTS,
        inclusive=False,
    )
    if data.rule not in ScoringRule.values:
        raise DomainError(_("Choose a scoring rule."), field="rule")
    options = clean_rule_options(data.rule, data.rule_options, max_points=max_points)
    by_self, by_superior = data.scored_by_self, data.scored_by_superior
    if data.rule == ScoringRule.METRIC:
        # Computed from case data for the round's period: no one scores it by hand.
        by_self = by_superior = False
    elif not (by_self or by_superior):
        raise DomainError(
            _("Say who scores this indicator: the unit itself, the superior, or both."),
            field="scored_by_superior",
        )
    return IndicatorData(
        code=code,
        name=name,
        guidance=guidance,
        weight=weight,
        max_points=max_points,
        rule=data.rule,
        rule_options=options,
        evidence_required=bool(data.evidence_required) and data.rule != ScoringRule.METRIC,
        scored_by_self=by_self,
        scored_by_superior=by_superior,
    )


@dataclass
class DimensionData:
    dimension: IndicatorData
    indicators: list[IndicatorData] = field(default_factory=list)


# --- helpers --------------------------------------------------------------------------------
def _require_draft(scheme: Scheme) -> None:
    if scheme.status != SchemeStatus.DRAFT:
        raise DomainError(
            _(
                "Only a draft can be changed. Start a new version to change a published or "
                "retired scheme."
            )
        )


def _locked(scheme: Scheme) -> Scheme:
    """The scheme re-read under a row lock, so two edits cannot interleave with a publish."""
    return Scheme.objects.select_for_update().get(pk=scheme.pk)


def _check_scheme_fields(*, name: str, unit_class: str, description: str) -> tuple[str, str]:
    name = clean_text(name, field_name="name", limit=100)
    description = clean_text(description, field_name="description", limit=2000, required=False)
    if unit_class not in UnitClass.values:
        raise DomainError(_("Choose a unit class."), field="unit_class")
    return name, description


def _check_new_family(family: str) -> str:
    family = clean_code(family, field_name="family", limit=50)
    if Scheme.objects.filter(family=family).exists():
        raise DomainError(_("Another scheme uses this code."), field="family")
    return family


def _check_no_draft(family: str) -> None:
    if Scheme.objects.filter(family=family, status=SchemeStatus.DRAFT).exists():
        raise DomainError(
            _(
                "This scheme already has a draft version. Publish or change that draft instead "
                "of starting another."
            )
        )


def _next_version(family: str) -> int:
    latest = Scheme.objects.filter(family=family).aggregate(top=Max("version"))["top"]
    return int(latest or 0) + 1


def _write_tree(scheme: Scheme, dimensions: Sequence[DimensionData]) -> int:
    """Create the rows of a tree in a fresh scheme; the number of rows written."""
    count = 0
    for position, entry in enumerate(dimensions, start=1):
        parent = Indicator.objects.create(
            scheme=scheme, parent=None, position=position, **_fields(entry.dimension)
        )
        Indicator.objects.bulk_create(
            Indicator(scheme=scheme, parent=parent, position=index, **_fields(item))
            for index, item in enumerate(entry.indicators, start=1)
        )
        count += 1 + len(entry.indicators)
    return count


def _insert_scheme(**fields: Any) -> Scheme:
    """A new scheme row; another request taking the same family and version meanwhile loses."""
    try:
        with transaction.atomic():
            return Scheme.objects.create(**fields)
    except IntegrityError:
        raise Conflict(
            _("Someone else created a version of this scheme meanwhile. Reload and try again.")
        ) from None


def _save_indicator(indicator: Indicator) -> Indicator:
    """Save, turning a code taken by a concurrent edit into the usual message."""
    try:
        with transaction.atomic():
            indicator.save()
    except IntegrityError:
        raise DomainError(
            _("Another indicator of this scheme uses this code."), field="code"
        ) from None
    return indicator


def _fields(data: IndicatorData) -> dict[str, Any]:
    return {name: getattr(data, name) for name in INDICATOR_FIELDS}


def scheme_rows(scheme: Scheme) -> list[Indicator]:
    return list(scheme.indicators.order_by("position", "pk"))


def scheme_tree_data(scheme: Scheme, rows: list[Indicator] | None = None) -> list[DimensionData]:
    """A scheme's tree as plain data, in order (copies, exports and comparisons use it).

    `rows` are the scheme's indicators in order when the caller has read them already.
    """
    rows = scheme_rows(scheme) if rows is None else rows
    children: dict[int, list[IndicatorData]] = {}
    for row in rows:
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(_data(row))
    return [
        DimensionData(dimension=_data(row), indicators=children.get(row.pk, []))
        for row in rows
        if row.parent_id is None
    ]


def _data(row: Indicator) -> IndicatorData:
    return IndicatorData(**{name: getattr(row, name) for name in INDICATOR_FIELDS})


def _copy(
    source: Scheme,
    *,
    actor: Actor,
    family: str,
    version: int,
    name: str,
    unit_class: str,
    description: str,
) -> Scheme:
    scheme = _insert_scheme(
        family=family,
        version=version,
        name=name,
        description=description,
        unit_class=unit_class,
        owner=source.owner,
        based_on=source,
    )
    _write_tree(scheme, scheme_tree_data(source))
    return scheme


# --- services -------------------------------------------------------------------------------
@transaction.atomic
def scheme_create(
    *,
    actor: Actor,
    owner: OrgUnit,
    family: str,
    name: str,
    unit_class: str,
    description: str = "",
) -> Scheme:
    """An empty draft, version 1 of a new family."""
    require(actor, "edit", Scheme)
    family = _check_new_family(family)
    name, description = _check_scheme_fields(
        name=name, unit_class=unit_class, description=description
    )
    scheme = _insert_scheme(
        family=family, name=name, unit_class=unit_class, description=description, owner=owner
    )
    audit_log(
        actor=actor,
        action="evaluation.scheme.created",
        target=scheme,
        data={"family": family, "version": 1, "unit_class": unit_class},
    )
    return scheme


@transaction.atomic
def scheme_update(*, actor: Actor, scheme: Scheme, name: str, description: str = "") -> Scheme:
    """Rename a draft or change its description."""
    require(actor, "edit", Scheme, scheme)
    scheme = _locked(scheme)
    _require_draft(scheme)
    name, description = _check_scheme_fields(
        name=name, unit_class=scheme.unit_class, description=description
    )
    before = {"name": scheme.name, "description": scheme.description}
    scheme.name, scheme.description = name, description
    scheme.save(update_fields=["name", "description", "updated_at"])
    audit_log(
        actor=actor,
        action="evaluation.scheme.updated",
        target=scheme,
        data={"before": before, "after": {"name": name, "description": description}},
    )
    return scheme


@transaction.atomic
def scheme_clone(
    *,
    actor: Actor,
    scheme: Scheme,
    family: str | None = None,
    name: str | None = None,
    unit_class: str | None = None,
    description: str | None = None,
) -> Scheme:
    """A draft copy of `scheme`: the next version of its family, or version 1 of a new family.

    Without `family` (or with the scheme's own) the copy is the family's next version and keeps
    its unit class; with a new `family` it may be for another unit class.
    """
    require(actor, "edit", Scheme, scheme)
    same_family = family is None or family.strip() == scheme.family
    if same_family:
        if unit_class not in (None, scheme.unit_class):
            raise DomainError(
                _("A new version keeps the unit class; clone into a new scheme code instead."),
                field="unit_class",
            )
        _check_no_draft(scheme.family)
        target_family, version = scheme.family, _next_version(scheme.family)
    else:
        assert family is not None
        target_family, version = _check_new_family(family), 1
    new_name, new_description = _check_scheme_fields(
        name=name if name is not None else scheme.name,
        unit_class=unit_class or scheme.unit_class,
        description=description if description is not None else scheme.description,
    )
    copy = _copy(
        scheme,
        actor=actor,
        family=target_family,
        version=version,
        name=new_name,
        unit_class=unit_class or scheme.unit_class,
        description=new_description,
    )
    audit_log(
        actor=actor,
        action="evaluation.scheme.cloned",
        target=copy,
        data={
            "from": {"id": scheme.pk, "family": scheme.family, "version": scheme.version},
            "family": copy.family,
            "version": copy.version,
            "unit_class": copy.unit_class,
        },
    )
    return copy


@transaction.atomic
def scheme_new_version(*, actor: Actor, scheme: Scheme) -> Scheme:
    """The next version of a published (or retired) scheme, as a draft to edit."""
    require(actor, "edit", Scheme, scheme)
    if scheme.status == SchemeStatus.DRAFT:
        raise DomainError(_("This version is still a draft: change it directly."))
    _check_no_draft(scheme.family)
    copy = _copy(
        scheme,
        actor=actor,
        family=scheme.family,
        version=_next_version(scheme.family),
        name=scheme.name,
        unit_class=scheme.unit_class,
        description=scheme.description,
    )
    audit_log(
        actor=actor,
        action="evaluation.scheme.new_version",
        target=copy,
        data={"family": copy.family, "version": copy.version, "from_version": scheme.version},
    )
    return copy


@transaction.atomic
def scheme_delete(*, actor: Actor, scheme: Scheme) -> None:
    """Discard a draft (published versions carry history and are retired instead)."""
    require(actor, "edit", Scheme, scheme)
    scheme = _locked(scheme)
    _require_draft(scheme)
    if scheme.rounds.exists():
        raise DomainError(_("A round uses this scheme; it cannot be deleted."))
    audit_log(
        actor=actor,
        action="evaluation.scheme.deleted",
        target=scheme,
        data={"family": scheme.family, "version": scheme.version, "name": scheme.name},
    )
    scheme.delete()


def publish_problems(scheme: Scheme, rows: list[Indicator] | None = None) -> list[str]:
    """Everything that keeps a scheme from being published; empty when it may be."""
    problems: list[str] = []
    tree = scheme_tree_data(scheme, rows)
    if not tree:
        problems.append(_("Add at least one dimension."))
    seen: set[str] = set()
    for entry in tree:
        for row, dimension in [(entry.dimension, True)] + [(i, False) for i in entry.indicators]:
            label = f"{row.code} {row.name}"
            if row.code in seen:
                problems.append(_("%(row)s: the code is used twice.") % {"row": label})
            seen.add(row.code)
            if row.weight <= 0:
                problems.append(_("%(row)s: the weight must be above 0.") % {"row": label})
            try:
                clean_indicator(row, dimension=dimension)
            except DomainError as error:
                problems.append(f"{label}: {error.message}")
        if not entry.indicators:
            problems.append(
                _("%(row)s: the dimension has no indicators.")
                % {"row": f"{entry.dimension.code} {entry.dimension.name}"}
            )
    return problems


@transaction.atomic
def scheme_publish(*, actor: Actor, scheme: Scheme) -> Scheme:
    """Freeze a draft and make it the family's published version (retiring the previous one)."""
    require(actor, "edit", Scheme, scheme)
    scheme = _locked(scheme)
    _require_draft(scheme)
    problems = publish_problems(scheme)
    if problems:
        raise DomainError(
            _("The scheme cannot be published yet: %(problems)s")
            % {"problems": " ".join(str(p) for p in problems)}
        )
    retired = list(
        Scheme.objects.select_for_update()
        .filter(family=scheme.family, status=SchemeStatus.PUBLISHED)
        .exclude(pk=scheme.pk)
        .values_list("version", flat=True)
    )
    Scheme.objects.filter(family=scheme.family, status=SchemeStatus.PUBLISHED).update(
        status=SchemeStatus.RETIRED, updated_at=timezone.now()
    )
    scheme.status = SchemeStatus.PUBLISHED
    scheme.published_at = timezone.now()
    scheme.save(update_fields=["status", "published_at", "updated_at"])
    audit_log(
        actor=actor,
        action="evaluation.scheme.published",
        target=scheme,
        data={"family": scheme.family, "version": scheme.version, "retired_versions": retired},
    )
    return scheme


def _check_code_free(scheme: Scheme, code: str, *, exclude: int | None = None) -> None:
    clash = scheme.indicators.filter(code=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise DomainError(_("Another indicator of this scheme uses this code."), field="code")


@transaction.atomic
def indicator_add(
    *, actor: Actor, scheme: Scheme, parent: Indicator | None, data: IndicatorData
) -> Indicator:
    """Add a dimension (no parent) or an indicator under a dimension, at the end."""
    require(actor, "edit", Indicator)
    scheme = _locked(scheme)
    _require_draft(scheme)
    if parent is not None and (parent.scheme_id != scheme.pk or parent.parent_id is not None):
        raise DomainError(_("Choose a dimension of this scheme."), field="parent")
    cleaned = clean_indicator(data, dimension=parent is None)
    _check_code_free(scheme, cleaned.code)
    last = scheme.indicators.filter(parent=parent).aggregate(top=Max("position"))["top"]
    indicator = _save_indicator(
        Indicator(scheme=scheme, parent=parent, position=int(last or 0) + 1, **_fields(cleaned))
    )
    audit_log(
        actor=actor,
        action="evaluation.scheme.indicator_added",
        target=scheme,
        data={"code": indicator.code, "parent": parent.code if parent else None},
    )
    return indicator


@transaction.atomic
def indicator_update(*, actor: Actor, indicator: Indicator, data: IndicatorData) -> Indicator:
    require(actor, "edit", Indicator, indicator)
    scheme = _locked(indicator.scheme)
    _require_draft(scheme)
    cleaned = clean_indicator(data, dimension=indicator.parent_id is None)
    _check_code_free(scheme, cleaned.code, exclude=indicator.pk)
    before = _fields(_data(indicator))
    after = _fields(cleaned)
    for name, value in after.items():
        setattr(indicator, name, value)
    _save_indicator(indicator)
    changes = {
        name: [str(before[name]), str(after[name])]
        for name in INDICATOR_FIELDS
        if before[name] != after[name]
    }
    audit_log(
        actor=actor,
        action="evaluation.scheme.indicator_updated",
        target=scheme,
        data={"code": indicator.code, "changes": changes},
    )
    return indicator


@transaction.atomic
def indicator_delete(*, actor: Actor, indicator: Indicator) -> None:
    """Remove an indicator, or a dimension with all its indicators."""
    require(actor, "edit", Indicator, indicator)
    scheme = _locked(indicator.scheme)
    _require_draft(scheme)
    removed = [indicator.code, *indicator.children.values_list("code", flat=True)]
    parent_id = indicator.parent_id
    indicator.delete()
    _renumber(scheme, parent_id)
    audit_log(
        actor=actor,
        action="evaluation.scheme.indicator_deleted",
        target=scheme,
        data={"codes": removed},
    )


def _renumber(scheme: Scheme, parent_id: int | None) -> list[Indicator]:
    siblings = list(scheme.indicators.filter(parent_id=parent_id).order_by("position", "pk"))
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    Indicator.objects.bulk_update(siblings, ["position"])
    return siblings


@transaction.atomic
def indicator_move(
    *, actor: Actor, indicator: Indicator, direction: str, parent: Indicator | None = None
) -> Indicator:
    """Move one place up or down among its siblings, or (direction "into") to another dimension.

    `parent` is the dimension to move into; the indicator goes to the end there.
    """
    require(actor, "edit", Indicator, indicator)
    scheme = _locked(indicator.scheme)
    _require_draft(scheme)
    old_parent = indicator.parent_id
    if direction == "into":
        if indicator.parent_id is None:
            raise DomainError(_("A dimension cannot be moved into another dimension."))
        if parent is None or parent.scheme_id != scheme.pk or parent.parent_id is not None:
            raise DomainError(_("Choose a dimension of this scheme."), field="parent")
        last = scheme.indicators.filter(parent=parent).aggregate(top=Max("position"))["top"]
        indicator.parent = parent
        indicator.position = int(last or 0) + 1
        indicator.save(update_fields=["parent", "position"])
        _renumber(scheme, old_parent)
    elif direction in ("up", "down"):
        siblings = _renumber(scheme, indicator.parent_id)
        index = next(i for i, s in enumerate(siblings) if s.pk == indicator.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(siblings):
            raise DomainError(_("It is already at the edge of its list."))
        siblings[index].position, siblings[other].position = (
            siblings[other].position,
            siblings[index].position,
        )
        Indicator.objects.bulk_update([siblings[index], siblings[other]], ["position"])
        indicator.refresh_from_db(fields=["position"])
    else:
        raise DomainError(_("Move up, down or into another dimension."), field="direction")
    audit_log(
        actor=actor,
        action="evaluation.scheme.indicator_moved",
        target=scheme,
        data={
            "code": indicator.code,
            "direction": direction,
            "parent": parent.code if parent is not None and direction == "into" else None,
        },
    )
    return indicator


@transaction.atomic
def scheme_create_from_tree(
    *,
    actor: Actor,
    owner: OrgUnit,
    family: str,
    name: str,
    unit_class: str,
    description: str,
    dimensions: Sequence[DimensionData],
    action: str,
    data: Mapping[str, Any] | None = None,
) -> Scheme:
    """A new draft holding a checked tree: version 1 of a new family, or the family's next.

    A family that exists gets its next version (based on its latest), keeping its unit class.
    """
    require(actor, "edit", Scheme)
    family = clean_code(family, field_name="family", limit=50)
    latest = Scheme.objects.filter(family=family).order_by("-version").first()
    if latest is not None:
        if unit_class != latest.unit_class:
            raise DomainError(
                _("The scheme %(family)s is for another unit class.") % {"family": family},
                field="unit_class",
            )
        _check_no_draft(family)
    name, description = _check_scheme_fields(
        name=name, unit_class=unit_class, description=description
    )
    scheme = _insert_scheme(
        family=family,
        version=latest.version + 1 if latest is not None else 1,
        name=name,
        description=description,
        unit_class=unit_class,
        owner=owner,
        based_on=latest,
    )
    rows = _write_tree(scheme, dimensions)
    audit_log(
        actor=actor,
        action=action,
        target=scheme,
        data={"family": family, "version": scheme.version, "rows": rows, **(data or {})},
    )
    return scheme


@transaction.atomic
def scheme_install_defaults(*, actor: Actor, owner: OrgUnit) -> list[Scheme]:
    """Create and publish the default scheme of each unit class; the ones created now.

    A default whose family exists already (in any version, edited or not) is left alone, so
    running this again changes nothing.
    """
    from jiceng.evaluation.default_scheme import DEFAULT_SCHEMES

    require(actor, "edit", Scheme)
    created: list[Scheme] = []
    for default in DEFAULT_SCHEMES:
        if Scheme.objects.filter(family=default.family).exists():
            continue
        dimensions = [
            DimensionData(
                dimension=clean_indicator(entry.dimension, dimension=True),
                indicators=[clean_indicator(i, dimension=False) for i in entry.indicators],
            )
            for entry in default.dimensions
        ]
        scheme = scheme_create_from_tree(
            actor=actor,
            owner=owner,
            family=default.family,
            name=default.name,
            unit_class=default.unit_class,
            description=default.description,
            dimensions=dimensions,
            action="evaluation.scheme.created",
            data={"default": True},
        )
        created.append(scheme_publish(actor=actor, scheme=scheme))
    return created

"""The claimant's receipt for a copyright dispute and the public lookup that follows the claim."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiceng.core.actors import ANONYMOUS
from jiceng.core.models import AuditEntry
from jiceng.core.receipts import new_receipt_code, normalise_code
from jiceng.library.models import Dispute
from jiceng.library.services import dispute_decide, dispute_file, dispute_hide
from jiceng.orgs.roles import Role
from tests.factories import actor_for
from tests.library.factories import published

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CODE_SHOWN = re.compile(r'data-testid="dispute-receipt-code">([A-Z2-7-]+)<')
# What differs between two answers to the same form: the CSRF token and the echoed code.
VARIABLE = re.compile(r'csrfmiddlewaretoken" value="[^"]+"|CSRFToken": "[^"]+"|value="[^"]*"')
UNKNOWN_EN = "This receipt code does not match a claim."


@pytest.fixture
def document(db):
    return published("公开的文章", "文章正文。" * 20)


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def _claim(document, claimant="某出版社"):
    return dispute_file(
        actor=ANONYMOUS,
        document=document,
        claimant=claimant,
        contact="010-1234",
        evidence="首发于本社期刊，合同编号 2020-15。",
        requested_action="take_down",
    )


def _lookup(code, client=None, **headers):
    return (client or Client()).post(
        reverse("library_dispute_lookup"), {"code": code}, **(headers or EN)
    )


def test_filing_shows_the_receipt_once_and_stores_only_its_hash(document):
    client = Client()
    response = client.post(
        reverse("library_dispute", args=[document.pk]),
        {
            "claimant": "某出版社",
            "contact": "010-1234",
            "evidence": "首发于本社期刊，合同编号 2020-15。",
            "requested_action": "take_down",
        },
        **ZH,
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="dispute-received"' in page
    shown = CODE_SHOWN.search(page)
    assert shown is not None
    code = shown.group(1)
    assert len(normalise_code(code)) == 26
    assert reverse("library_dispute_lookup") in page  # the confirmation links the lookup
    dispute = Dispute.objects.get()
    assert dispute.receipt_digest == hashlib.sha256(normalise_code(code).encode()).hexdigest()
    stored = str(list(Dispute.objects.values_list()))
    assert code not in stored and normalise_code(code) not in stored
    audit = str(list(AuditEntry.objects.values_list("data", "reason")))
    assert code not in audit and normalise_code(code) not in audit
    # Never again: not on the document page, not on the lookup page, not in the dispute queue.
    for url in (reverse("library_document", args=[document.pk]), reverse("library_dispute_lookup")):
        assert normalise_code(code)[:8] not in client.get(url).content.decode()
    assert "公开的文章" in _lookup(code.lower().replace("-", " ")).content.decode()


def test_the_document_page_links_the_lookup_beside_the_dispute_link(document):
    page = Client().get(reverse("library_document", args=[document.pk]), **ZH).content.decode()
    lookup_at = page.index('data-testid="dispute-lookup-link"')
    assert abs(lookup_at - page.index('data-testid="dispute-link"')) < 400
    assert f'href="{reverse("library_dispute_lookup")}"' in page


def test_the_lookup_shows_each_state_and_nothing_else(document, admin, tree):
    _dispute, code = _claim(document)
    other_document = published("别人的文章", "正文内容。" * 20)
    other, _other_code = _claim(other_document, claimant="另一位权利人")

    def shown() -> dict[str, str]:
        page = _lookup(code).content.decode()
        assert "另一位权利人" not in page and "别人的文章" not in page
        assert "某出版社" not in page and "010-1234" not in page  # not even the claimant's own
        return dict(re.findall(r'data-testid="dispute-([a-z]+)"[^>]*>([^<]*)<', page))

    first = shown()
    assert first["document"] == "公开的文章"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["filed"])
    assert first["state"] == "Received, awaiting review"
    assert "decision" not in first and "reason" not in first

    dispute_hide(actor=admin, dispute=_dispute, reason="内部核实说明")
    hidden = shown()
    assert hidden["state"] == "Document hidden while the claim is reviewed"
    assert "内部核实说明" not in _lookup(code).content.decode()  # the hiding note stays inside
    assert "decision" not in hidden

    dispute_decide(actor=admin, dispute=_dispute, decision="taken_down", reason="证据充分")
    decided = shown()
    assert decided["state"] == "Decision made"
    assert decided["decision"] == "Taken down"
    assert decided["reason"] == "证据充分"
    page = _lookup(code).content.decode()
    user = tree.people[Role.DISTRICT_ADMIN]
    assert user.display_name not in page and user.username not in page
    # The other claim is untouched and still open for its own claimant.
    assert shown()["document"] == "公开的文章"
    other.refresh_from_db()
    assert other.status == "open"


def test_a_wrong_code_answers_exactly_like_an_unknown_one(document):
    _dispute, code = _claim(document)
    raw = normalise_code(code)
    wrong = raw[:-1] + ("A" if raw[-1] != "A" else "B")  # one character mistyped
    answers = [
        _lookup(candidate).content.decode()
        for candidate in (wrong, new_receipt_code(), "----", "不是回执码")
    ]
    assert all(answer.count(UNKNOWN_EN) == 1 for answer in answers)
    assert len({VARIABLE.sub("", answer) for answer in answers}) == 1
    assert "公开的文章" not in answers[0]


def test_lookups_are_rate_limited_per_address(document):
    client = Client()
    statuses = [_lookup(new_receipt_code(), client).status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    # Another address is not affected.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert _lookup(new_receipt_code(), other).status_code == 200


@pytest.mark.parametrize(
    ("code", "error"),
    [("", "This field is required."), ("A" * 65, "at most 64 characters")],
)
def test_bad_input_changes_nothing_and_says_why(document, admin, code, error):
    dispute, _code = _claim(document)
    dispute_hide(actor=admin, dispute=dispute, reason="核实中")
    before = (list(Dispute.objects.values_list()), AuditEntry.objects.count())
    response = _lookup(code)
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page and UNKNOWN_EN not in page
    assert 'data-testid="dispute-receipt"' not in page
    assert (list(Dispute.objects.values_list()), AuditEntry.objects.count()) == before


def test_the_lookup_works_in_chinese_and_english(document, admin):
    dispute, code = _claim(document)
    dispute_decide(actor=admin, dispute=dispute, decision="taken_down", reason="证据充分")
    zh_form = Client().get(reverse("library_dispute_lookup"), **ZH).content.decode()
    assert 'lang="zh-Hans"' in zh_form and "回执码" in zh_form
    zh = _lookup(code, **ZH).content.decode()
    assert "已下架" in zh and "证据充分" in zh and "状态" in zh
    en_form = Client().get(reverse("library_dispute_lookup"), **EN).content.decode()
    assert 'lang="en"' in en_form and "Receipt code" in en_form
    en = _lookup(code, **EN).content.decode()
    assert "Taken down" in en and "Decision made" in en and "证据充分" in en


def test_disputes_filed_before_receipts_keep_working(document, admin, tree):
    # As the migration leaves them: no receipt digest, and two of them side by side.
    old = [
        Dispute.objects.create(
            document=document,
            claimant=name,
            contact="010-1",
            evidence="早先提交的版权主张。",
            requested_action="take_down",
        )
        for name in ("旧权利人甲", "旧权利人乙")
    ]
    assert {d.receipt_digest for d in old} == {""}
    # No code, not even one that normalises to nothing, finds them.
    for code in ("----", " ", new_receipt_code()):
        assert "早先提交" not in _lookup(code).content.decode()
        assert "公开的文章" not in _lookup(code, Client(REMOTE_ADDR="203.0.113.7")).content.decode()
    # A new claim beside them gets its receipt; administrators handle the old ones as before.
    _new, code = _claim(document)
    assert "公开的文章" in _lookup(code, Client(REMOTE_ADDR="203.0.113.8")).content.decode()
    staff = Client()
    staff.force_login(tree.people[Role.DISTRICT_ADMIN])
    url = reverse("library_dispute_detail", args=[old[0].pk])
    assert staff.get(url).status_code == 200
    assert staff.get(reverse("library_disputes")).status_code == 200
    dispute_decide(actor=admin, dispute=old[0], decision="rejected", reason="证据不足")
    old[0].refresh_from_db()
    assert old[0].status == "decided"


def test_dispute_states_have_their_own_words_in_chinese():
    """ "Open" and "Decided" mean other things elsewhere (a rectification in progress, the time
    of a decision): a dispute's states are translated in their own context."""
    from jiceng.library.models import DisputeStatus

    with translation.override("zh-hans"):
        assert str(DisputeStatus.OPEN.label) == "待处理"
        assert str(DisputeStatus.DECIDED.label) == "已裁决"
    with translation.override("en"):
        assert str(DisputeStatus.OPEN.label) == "Open"

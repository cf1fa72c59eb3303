"""Submission, review, versions, attachments (checked by content), citations, disputes, and
which documents each actor sees."""

from __future__ import annotations

import pytest
from django.http import Http404

from jiceng.core.actors import ANONYMOUS, SYSTEM
from jiceng.core.errors import Conflict, DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.library import selectors
from jiceng.library.models import (
    Attachment,
    CaseCitation,
    Dispute,
    Document,
    DocumentStatus,
    DocumentVersion,
    Visibility,
)
from jiceng.library.services import (
    DocumentFields,
    UploadedAttachment,
    case_citation_add,
    citation_add,
    dispute_decide,
    dispute_file,
    dispute_hide,
    document_edit,
    document_submit,
    version_review,
)
from jiceng.orgs.roles import Role
from tests.factories import actor_for, make_member
from tests.library.factories import approve, published
from tests.library.pdfs import chinese_pdf, docx, latin_pdf, modern_pdf


@pytest.fixture
def staff(tree):
    return actor_for(tree.people[Role.COMMUNITY_STAFF])


@pytest.fixture
def admin(tree):
    return actor_for(tree.people[Role.DISTRICT_ADMIN])


def found(actor, query):
    return [h.document.title for h in selectors.library_search(actor=actor, query=query).hits]


def test_a_submitted_pdf_becomes_searchable_once_approved(tree, staff, admin):
    pdf = chinese_pdf(["柳岸社区加装电梯的做法", "居民议事会协商出资比例"])
    document = document_submit(
        actor=staff,
        fields=DocumentFields(title="加装电梯经验", body=""),
        attachments=[UploadedAttachment("电梯.pdf", pdf)],
    )
    assert document.status == DocumentStatus.PENDING
    attachment = Attachment.objects.get(document=document)
    assert attachment.kind == "pdf" and attachment.text_readable
    assert found(ANONYMOUS, "居民议事会") == []
    assert found(staff, "居民议事会") == ["加装电梯经验"]  # the own unit sees its submission
    approve(document)
    assert found(ANONYMOUS, "居民议事会") == ["加装电梯经验"]
    assert AuditEntry.objects.filter(action="library.version.approved").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
        ("archive.docx", b"PK\x03\x04not really a zip"),
        ("binary.txt", bytes(range(256)) * 4),
        ("empty.txt", b""),
    ],
)
def test_malformed_uploads_are_refused_and_nothing_is_stored(staff, name, data):
    with pytest.raises(DomainError) as error:
        document_submit(
            actor=staff,
            fields=DocumentFields(title="坏文件", body="正文"),
            attachments=[UploadedAttachment(name, data)],
        )
    assert error.value.field == "attachments"
    assert not Document.objects.exists() and not Attachment.objects.exists()


def test_oversized_uploads_are_refused(staff, settings):
    settings.LIBRARY_MAX_ATTACHMENT_BYTES = 100
    with pytest.raises(DomainError):
        document_submit(
            actor=staff,
            fields=DocumentFields(title="太大", body="正文"),
            attachments=[UploadedAttachment("a.txt", "很长的文字".encode() * 100)],
        )
    assert not Document.objects.exists()


def test_docx_txt_and_unreadable_pdfs_are_kept(staff):
    document = document_submit(
        actor=staff,
        fields=DocumentFields(title="附件", body="正文"),
        attachments=[
            UploadedAttachment("a.docx", docx(["文档里的段落"])),
            UploadedAttachment("b.txt", "国标编码的文字".encode("gb18030")),
            UploadedAttachment("c.pdf", b"%PDF-1.4\n%%EOF\n"),
            UploadedAttachment("d.pdf", latin_pdf("Hello library")),
        ],
    )
    kinds = {a.filename: (a.kind, a.text_readable, a.text) for a in document.attachments.all()}
    assert kinds["a.docx"] == ("docx", True, "文档里的段落")
    assert kinds["b.txt"] == ("txt", True, "国标编码的文字")
    assert kinds["c.pdf"][:2] == ("pdf", False)
    assert kinds["d.pdf"] == ("pdf", True, "Hello library")


def test_pdfs_as_office_software_writes_them_are_read(tree, staff, admin):
    """Object streams and a compressed cross-reference stream (PDF 1.5 and later)."""
    document = document_submit(
        actor=staff,
        fields=DocumentFields(title="新版文件", body="正文"),
        attachments=[
            UploadedAttachment("modern.pdf", modern_pdf(["楼道堆物清理办法", "网格员每周巡查"])),
            UploadedAttachment("broken.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog"),
        ],
    )
    kinds = {a.filename: (a.kind, a.text_readable, a.text) for a in document.attachments.all()}
    assert kinds["modern.pdf"] == ("pdf", True, "楼道堆物清理办法\n网格员每周巡查")
    assert kinds["broken.pdf"][:2] == ("pdf", False)


def test_bad_fields_are_refused(staff):
    for fields, field in [
        (DocumentFields(title=" "), "title"),
        (DocumentFields(title="x" * 301), "title"),
        (DocumentFields(title="t", kind="novel"), "kind"),
        (DocumentFields(title="t", visibility="world"), "visibility"),
    ]:
        with pytest.raises(DomainError) as error:
            document_submit(actor=staff, fields=fields)
        assert error.value.field == field
    assert not Document.objects.exists()


def test_residents_cannot_upload():
    with pytest.raises(Forbidden):
        document_submit(actor=ANONYMOUS, fields=DocumentFields(title="t", body="b"))


def test_editing_a_published_document_waits_for_review_and_keeps_versions(staff, admin):
    document = approve(
        document_submit(actor=staff, fields=DocumentFields(title="原标题", body="原来的正文"))
    )
    version = document_edit(
        actor=staff, document=document, fields=DocumentFields(title="新标题", body="修改后的正文")
    )
    document.refresh_from_db()
    assert document.title == "原标题" and version.number == 2
    assert found(ANONYMOUS, "修改") == []
    with pytest.raises(Conflict):
        document_edit(actor=staff, document=document, fields=DocumentFields(title="再改", body="x"))
    with pytest.raises(DomainError):
        version_review(actor=admin, version=version, approve=False, reason="")
    version_review(actor=admin, version=version, approve=True)
    document.refresh_from_db()
    assert (document.title, document.version) == ("新标题", 2)
    assert found(ANONYMOUS, "修改") == ["新标题"]
    assert found(ANONYMOUS, "原来") == []
    assert list(
        DocumentVersion.objects.filter(document=document).values_list("number", "status")
    ) == [(1, "approved"), (2, "approved")]
    with pytest.raises(Conflict):
        version_review(actor=admin, version=version, approve=True)


def test_only_district_administrators_review(staff, tree):
    document = document_submit(actor=staff, fields=DocumentFields(title="t", body="b"))
    version = document.versions.get()
    for role in (Role.COMMUNITY_STAFF, Role.STREET_SUPERVISOR, Role.BRANCH_SECRETARY):
        with pytest.raises(Forbidden):
            version_review(actor=actor_for(tree.people[role]), version=version, approve=True)


def test_visibility_matrix(tree, staff):
    public = approve(
        document_submit(actor=staff, fields=DocumentFields(title="公开", body="共同词"))
    )
    staff_only = approve(
        document_submit(
            actor=staff,
            fields=DocumentFields(title="内部", body="共同词", visibility=Visibility.STAFF),
        )
    )
    unit_only = approve(
        document_submit(
            actor=staff,
            fields=DocumentFields(title="本单位", body="共同词", visibility=Visibility.UNIT),
        )
    )
    pending = document_submit(actor=staff, fields=DocumentFields(title="待审", body="共同词"))
    expectations = {
        None: {"公开"},
        Role.COMMUNITY_STAFF: {"公开", "内部", "本单位", "待审"},  # own unit
        Role.GRID_WORKER: {"公开", "内部", "本单位"},  # below: the line, not the drafts
        Role.STREET_SUPERVISOR: {"公开", "内部", "本单位", "待审"},  # above: its subtree
        Role.DISTRICT_ADMIN: {"公开", "内部", "本单位", "待审"},
    }
    for role, titles in expectations.items():
        actor = ANONYMOUS if role is None else actor_for(tree.people[role])
        assert set(found(actor, "共同词")) == titles, role
    sibling = actor_for(make_member(tree.community_a2, Role.COMMUNITY_STAFF))
    assert set(found(sibling, "共同词")) == {"公开", "内部"}
    with pytest.raises(Http404):
        selectors.document_get(sibling, unit_only.pk)
    with pytest.raises(Http404):
        selectors.document_get(ANONYMOUS, staff_only.pk)
    with pytest.raises(Http404):
        selectors.document_get(ANONYMOUS, pending.pk)
    assert selectors.document_get(ANONYMOUS, public.pk) == public


def test_times_cited_counts_citations_plus_the_imported_figure(staff):
    cited = published("被引用的", "正文")
    Document.objects.filter(pk=cited.pk).update(cited_seed=2, times_cited=2)
    citing = published("引用者", "正文")
    citation_add(actor=staff, citing=citing, cited=cited)
    cited.refresh_from_db()
    assert cited.times_cited == 3
    with pytest.raises(Conflict):
        citation_add(actor=staff, citing=citing, cited=cited)
    with pytest.raises(DomainError):
        citation_add(actor=staff, citing=cited, cited=cited)
    with pytest.raises(Forbidden):
        citation_add(actor=ANONYMOUS, citing=citing, cited=cited)


def test_a_dispute_hides_then_takes_a_document_down(admin):
    document = published("有争议的文章", "独特词汇")
    with pytest.raises(DomainError):
        dispute_file(
            actor=ANONYMOUS,
            document=document,
            claimant="",
            contact="x",
            evidence="x" * 20,
            requested_action="take_down",
        )
    dispute, _code = dispute_file(
        actor=ANONYMOUS,
        document=document,
        claimant="某出版社",
        contact="010-12345678",
        evidence="本文首发于本社期刊，附合同编号。",
        requested_action="take_down",
    )
    with pytest.raises(Forbidden):
        dispute_hide(actor=ANONYMOUS, dispute=dispute, reason="x")
    dispute_hide(actor=admin, dispute=dispute, reason="核实中")
    assert found(ANONYMOUS, "独特词汇") == []
    assert found(admin, "独特词汇") == ["有争议的文章"]
    dispute_decide(actor=admin, dispute=dispute, decision="taken_down", reason="权利人证据充分")
    document.refresh_from_db()
    assert document.taken_down and document.hidden
    with pytest.raises(Http404):
        selectors.document_get(ANONYMOUS, document.pk)
    actions = list(
        AuditEntry.objects.filter(action__startswith="library.dispute")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "library.dispute.filed",
        "library.dispute.document_hidden",
        "library.dispute.decided",
    ]
    assert "010-12345678" not in str(AuditEntry.objects.values_list("data", flat=True))
    with pytest.raises(Conflict):
        dispute_decide(actor=admin, dispute=dispute, decision="rejected", reason="x")


def test_an_authorised_dispute_shows_the_document_again(admin):
    document = published("授权文章", "授权词")
    dispute, _code = dispute_file(
        actor=ANONYMOUS,
        document=document,
        claimant="作者本人",
        contact="a@example.org",
        evidence="我是作者，同意使用并署名。",
        requested_action="authorise",
    )
    dispute_hide(actor=admin, dispute=dispute, reason="核实中")
    dispute_decide(actor=admin, dispute=dispute, decision="authorised", reason="作者同意")
    assert found(ANONYMOUS, "授权词") == ["授权文章"]
    assert Dispute.objects.get().decided_by == admin.user


def test_system_sees_everything(db):
    document = published("系统", "词")
    Document.objects.filter(pk=document.pk).update(taken_down=True, hidden=True)
    assert selectors.document_get(SYSTEM, document.pk).pk == document.pk


def test_attachments_of_a_pending_edit_wait_for_its_review(staff, admin):
    document = approve(
        document_submit(actor=staff, fields=DocumentFields(title="已发布", body="正文"))
    )
    version = document_edit(
        actor=staff,
        document=document,
        fields=DocumentFields(title="已发布", body="正文"),
        attachments=[UploadedAttachment("new.txt", "新附件里的独特说法".encode())],
    )
    assert selectors.attachments_of(staff, document) == []
    assert found(staff, "独特说法") == []
    version_review(actor=admin, version=version, approve=True)
    document.refresh_from_db()
    assert [a.filename for a in selectors.attachments_of(staff, document)] == ["new.txt"]
    assert found(ANONYMOUS, "独特说法") == ["已发布"]


@pytest.fixture
def rubbish_case(tree):
    from jiceng.cases.models import Category, Channel
    from jiceng.cases.services import case_submit

    return case_submit(
        actor=ANONYMOUS,
        category=Category.objects.get(code="rubbish"),
        area=tree.community_a1,
        title="小区垃圾站满溢",
        description="柳岸路88号小区垃圾站已经三天没有清运。",
        channel=Channel.WEB,
    )


@pytest.mark.parametrize(
    "role, cites",
    [
        (Role.COMMUNITY_STAFF, True),
        (Role.BRANCH_SECRETARY, True),
        (Role.STREET_SUPERVISOR, True),
        (Role.DISTRICT_ADMIN, True),
        # Staff, but they may not handle (or even see) requests: both former checks let them.
        (Role.DISCIPLINE_INSPECTOR, False),
        (Role.SYSTEM_ADMIN, False),
        (Role.GRID_WORKER, False),  # the request is held by the community above the grid
    ],
)
def test_staff_who_may_handle_the_case_cite_documents_from_it(tree, rubbish_case, role, cites):
    document = published("可引用的文章", "正文")
    actor = actor_for(tree.people[role])
    if cites:
        citation = case_citation_add(actor=actor, case=rubbish_case, document=document)
        assert citation.case == rubbish_case and citation.document == document
    else:
        with pytest.raises(Forbidden):
            case_citation_add(actor=actor, case=rubbish_case, document=document)
        assert not CaseCitation.objects.exists()


def test_staff_of_another_street_cannot_make_the_case_cite(tree, rubbish_case):
    other = actor_for(make_member(tree.community_b1, Role.BRANCH_SECRETARY))
    with pytest.raises(Forbidden):
        case_citation_add(
            actor=other, case=rubbish_case, document=published("可引用的文章", "正文")
        )
    assert case_citation_add(actor=SYSTEM, case=rubbish_case, document=Document.objects.get())

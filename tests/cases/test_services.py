"""Intake, routing, deadlines, photos, escalation, closing without feedback, notifications."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiceng.cases import services
from jiceng.cases.models import (
    Case,
    Category,
    Channel,
    Escalation,
    EscalationReason,
    EventKind,
    Notification,
    Status,
)
from jiceng.core import clock
from jiceng.core.actors import ANONYMOUS, RESIDENT, SYSTEM
from jiceng.core.audit import all_entries_in_order, verify_chain
from jiceng.core.errors import DomainError, Forbidden
from jiceng.core.models import AuditEntry
from jiceng.insight.models_routing import DuplicateSignature, DuplicateTerm
from jiceng.orgs.roles import Role
from jiceng.orgs.services import membership_end
from tests.factories import make_member

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def _jpeg(size=(40, 30), exif_gps=False) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0132] = "2026:03:02 08:15:00"  # DateTime
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


class TestIntake:
    def test_routes_to_the_level_of_the_category(self, tree, submit):
        street_level = Category.objects.get(code="noise")
        district_level = Category.objects.get(code="unpaid-wages")
        assert submit().current_unit == tree.community_a1
        assert submit(category=street_level).current_unit == tree.street_a
        assert submit(category=district_level).current_unit == tree.district
        grid_level = Category.objects.get(code="neighbours")
        # Residents name the community; a grid-level category stays there to be dispatched.
        assert submit(category=grid_level).current_unit == tree.community_a1

    def test_deadlines_in_working_time_across_the_spring_festival(self, tree, submit):
        category = Category.objects.get(code="rubbish")  # respond 8 h, resolve 3 days
        with clock.at(at(2026, 2, 13, 16, 0)):  # Friday before the holiday
            case = submit(category=category, submitted_at=at(2026, 2, 13, 16, 0))
        # 1.5 h left on Friday; the other 6.5 h on the make-up Saturday 02-14: 3 h in the
        # morning and 3.5 h from 13:30.
        assert case.respond_by == at(2026, 2, 14, 17, 0)
        # Working days after Friday: Sat 14 (make-up), Tue 24, Wed 25 → close of business 25th.
        assert case.resolve_by == at(2026, 2, 25, 17, 30)

    def test_urgent_cases_get_the_urgent_deadlines(self, tree, submit):
        category = Category.objects.get(code="rubbish")
        start = at(2026, 3, 2, 9, 0)
        case = submit(category=category, priority="urgent", submitted_at=start)
        assert case.respond_by == at(2026, 3, 2, 11, 0)
        assert case.resolve_by == at(2026, 3, 3, 17, 30)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"title": "  "}, "title"),
            ({"title": "长" * 101}, "title"),
            ({"description": ""}, "description"),
            ({"description": "字" * 4001}, "description"),
            ({"address": "址" * 201}, "address"),
            ({"priority": "panic"}, "priority"),
            ({"channel": "fax"}, "channel"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(self, tree, submit, overrides, field):
        with pytest.raises(DomainError) as error:
            submit(**overrides)
        assert error.value.field == field
        assert not Case.objects.exists()

    def test_groups_inactive_categories_and_non_resident_areas_are_refused(self, tree, submit):
        with pytest.raises(DomainError):
            submit(category=Category.objects.get(code="environment"))
        inactive = Category.objects.get(code="greenery")
        inactive.is_active = False
        inactive.save()
        with pytest.raises(DomainError):
            submit(category=inactive)
        with pytest.raises(DomainError):
            submit(area=tree.street_a)
        assert not Case.objects.exists()

    def test_only_staff_enter_phone_and_walk_in_requests(self, tree, submit, actors):
        with pytest.raises(Forbidden):
            submit(channel=Channel.PHONE)
        case = submit(channel=Channel.PHONE, actor=actors[Role.COMMUNITY_STAFF])
        assert case.entered_by == actors[Role.COMMUNITY_STAFF].user

    def test_anonymous_requests_keep_no_name(self, tree, submit):
        case = submit(is_anonymous=True, reporter_name="张三", reporter_phone="13900001111")
        assert case.reporter_name == "" and case.reporter_phone == "13900001111"

    def test_tracking_codes_are_long_unambiguous_and_unique(self, tree, submit):
        codes = {submit().tracking_code for _ in range(20)}
        assert len(codes) == 20
        for code in codes:
            assert len(code) == 12 and set(code) <= set(services.TRACKING_ALPHABET)
        assert not set("01ILOU") & set(services.TRACKING_ALPHABET)

    def test_submission_is_audited_and_the_holder_is_notified(self, tree, submit):
        case = submit()
        assert AuditEntry.objects.filter(action="cases.case.submitted", target_id=str(case.pk))
        recipients = set(
            Notification.objects.filter(case=case).values_list("recipient__username", flat=True)
        )
        assert recipients == {"community_staff", "branch_secretary"}

    def test_submitted_in_the_future_is_refused(self, tree, submit):
        with pytest.raises(DomainError):
            submit(submitted_at=clock.now() + timedelta(days=1))


class TestPhotos:
    def test_photos_are_checked_by_content_and_stripped_of_metadata(self, tree, submit):
        with Image.open(_jpeg(exif_gps=True)) as original:
            assert original.getexif()[0x010F] == "PhoneMaker"
        case = submit(photos=[_jpeg(exif_gps=True)])
        photo = case.attachments.get()
        assert photo.content_type == "image/jpeg" and (photo.width, photo.height) == (40, 30)
        with Image.open(photo.file) as stored:
            assert not stored.getexif()

    def test_a_renamed_non_image_is_refused(self, tree, submit):
        fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
        with pytest.raises(DomainError) as error:
            submit(photos=[fake])
        assert error.value.field == "photos"
        assert not Case.objects.exists()

    def test_too_many_or_too_large_photos_are_refused(self, tree, submit, settings):
        with pytest.raises(DomainError):
            submit(photos=[_jpeg() for _ in range(4)])
        settings.CASE_MAX_PHOTO_BYTES = 100
        with pytest.raises(DomainError):
            submit(photos=[_jpeg(size=(400, 400))])
        assert not Case.objects.exists()


class TestEscalation:
    def test_each_missed_deadline_escalates_once_to_the_unit_above(self, tree, submit):
        start = at(2026, 3, 2, 9, 0)  # Monday
        case = submit(submitted_at=start)
        assert services.escalate_overdue(actor=SYSTEM, now=start + timedelta(hours=1)) == 0
        late = case.respond_by + timedelta(minutes=1)
        assert services.escalate_overdue(actor=SYSTEM, now=late) == 1
        assert services.escalate_overdue(actor=SYSTEM, now=late) == 0
        escalation = Escalation.objects.get()
        assert escalation.reason == EscalationReason.RESPOND_OVERDUE
        assert escalation.to_unit == tree.street_a and escalation.deadline == case.respond_by
        recipients = set(
            Notification.objects.filter(verb="escalated").values_list(
                "recipient__username", flat=True
            )
        )
        assert recipients == {"street_supervisor"}
        much_later = case.resolve_by + timedelta(minutes=1)
        assert services.escalate_overdue(actor=SYSTEM, now=much_later) == 1
        case.refresh_from_db()
        assert case.escalation_count == 2
        assert case.events.filter(kind=EventKind.ESCALATED).count() == 2

    def test_a_reopened_case_can_be_escalated_again_for_its_new_deadline(
        self, tree, submit, secretary
    ):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        first_deadline = case.resolve_by
        services.escalate_overdue(actor=SYSTEM, now=first_deadline + timedelta(hours=1))
        services.case_resolve(case=case, actor=secretary, body="处理完毕")
        with clock.at(first_deadline + timedelta(days=2)):
            services.case_feedback(case=case, actor=RESIDENT, solved="no", satisfaction=2)
        case.refresh_from_db()
        assert case.resolve_by > first_deadline
        assert (
            services.escalate_overdue(actor=SYSTEM, now=case.resolve_by + timedelta(hours=1)) == 1
        )

    def test_closed_cases_are_not_escalated(self, tree, submit, secretary):
        case = submit()
        services.case_reject(case=case, actor=secretary, note="无效")
        assert services.escalate_overdue(actor=SYSTEM, now=case.resolve_by + timedelta(days=9)) == 0


class TestNoFeedback:
    def test_resolved_cases_close_without_feedback_after_the_window(self, tree, submit, secretary):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        services.case_resolve(case=case, actor=secretary, body="已办结")
        assert services.close_unanswered(actor=SYSTEM, now=case.feedback_due) == 0
        assert (
            services.close_unanswered(actor=SYSTEM, now=case.feedback_due + timedelta(seconds=1))
            == 1
        )
        case.refresh_from_db()
        assert case.status == Status.CLOSED and case.close_reason == "no_feedback"
        with pytest.raises(DomainError):
            services.case_feedback(case=case, actor=RESIDENT, solved="yes", satisfaction=5)


class TestFeedbackValidation:
    def test_bad_answers_change_nothing(self, tree, submit, secretary):
        case = submit()
        services.case_accept(case=case, actor=secretary)
        services.case_dispatch(case=case, actor=secretary, to_unit=tree.community_a1)
        services.case_resolve(case=case, actor=secretary, body="已办结")
        for solved, satisfaction in (("maybe", 5), ("yes", 9), ("yes", 0)):
            with pytest.raises(DomainError):
                services.case_feedback(
                    case=case, actor=RESIDENT, solved=solved, satisfaction=satisfaction
                )
        case.refresh_from_db()
        assert case.status == Status.RESOLVED and not case.feedback.exists()
        with pytest.raises(DomainError):
            services.case_feedback(case=case, actor=ANONYMOUS, solved="yes", satisfaction=5)


class TestNotifications:
    def test_staff_with_an_address_get_an_email(
        self, tree, submit, django_capture_on_commit_callbacks
    ):
        secretary = tree.people[Role.BRANCH_SECRETARY]
        secretary.email = "sec@example.org"
        secretary.preferred_language = "en"
        secretary.save()
        with django_capture_on_commit_callbacks(execute=True):
            case = submit()
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["sec@example.org"]
        assert case.tracking_code in mail.outbox[0].body
        assert mail.outbox[0].body.startswith("New request")

    def test_messages_are_in_each_recipients_language(self, tree, submit):
        staff = tree.people[Role.COMMUNITY_STAFF]
        staff.preferred_language = "en"
        staff.save()
        case = submit()
        by_user = dict(
            Notification.objects.filter(case=case).values_list("recipient__username", "message")
        )
        assert by_user["community_staff"].startswith("New request")
        assert by_user["branch_secretary"].startswith("新诉求")

    def test_mark_read(self, tree, submit, secretary):
        submit()
        submit()
        assert services.notifications_mark_read(actor=secretary) == 2
        assert not Notification.objects.filter(recipient=secretary.user, read_at=None).exists()


class TestGroupedIntake:
    """Several submissions stored in one transaction, as concurrent requests are."""

    def _prepared(self, tree, category, count, **overrides):
        return [
            services.case_prepare(
                actor=ANONYMOUS,
                category=category,
                area=overrides.get("area", tree.community_a1),
                title=f"第{i}件",
                description=f"第{i}件诉求的描述",
                channel=Channel.WEB,
            )
            for i in range(count)
        ]

    def test_each_case_gets_its_timeline_audit_entry_and_notifications(self, tree, category):
        staff = tree.people[Role.COMMUNITY_STAFF]
        staff.preferred_language = "en"
        staff.save()
        other_unit_staff = make_member(tree.community_b1, Role.COMMUNITY_STAFF)
        submissions = self._prepared(tree, category, 3)
        submissions += self._prepared(tree, category, 2, area=tree.community_b1)
        cases = services.case_submit_prepared(submissions=submissions)
        assert [case.title for case in cases] == ["第0件", "第1件", "第2件", "第0件", "第1件"]
        assert len({case.pk for case in cases}) == 5
        for case in cases:
            stored = Case.objects.get(pk=case.pk)
            assert stored.tracking_code == case.tracking_code
            assert stored.current_unit == case.current_unit
            assert list(stored.events.values_list("kind", flat=True)) == [EventKind.SUBMITTED]
            audit = AuditEntry.objects.get(action="cases.case.submitted", target_id=str(case.pk))
            assert audit.target_label == str(case)
            messages = dict(
                Notification.objects.filter(case=case).values_list("recipient", "message")
            )
            # Each case notifies its own unit's staff, naming its own code.
            holders = set(
                case.current_unit.memberships.filter(is_active=True).values_list("user", flat=True)
            )
            assert set(messages) <= holders and messages
            assert all(case.tracking_code in text for text in messages.values())
        assert Notification.objects.filter(recipient=other_unit_staff).count() == 2
        # The duplicate index rows stored with each case are keyed to that case.
        streets = [tree.street_a.pk] * 3 + [tree.street_b.pk] * 2
        for case, street in zip(cases, streets, strict=True):
            assert DuplicateSignature.objects.get(case=case).street_id == street
            postings = DuplicateTerm.objects.filter(case=case)
            assert postings.exists() and {p.street_id for p in postings} == {street}
        english = Notification.objects.filter(recipient=staff, case__in=cases)
        assert english.count() == 3 and all(n.message.startswith("New request") for n in english)
        assert verify_chain(all_entries_in_order()).ok

    def test_a_tracking_code_collision_draws_new_codes_and_renames_everything(
        self, tree, category, submit
    ):
        taken = submit().tracking_code
        submissions = self._prepared(tree, category, 2)
        submissions[1].case.tracking_code = taken  # as if the draw had hit an existing code
        submissions[1].draft()
        cases = services.case_submit_prepared(submissions=submissions)
        assert cases[1].tracking_code != taken
        assert Case.objects.filter(tracking_code=taken).count() == 1
        for case in cases:
            texts = Notification.objects.filter(case=case).values_list("message", flat=True)
            assert texts and all(case.tracking_code in text for text in texts)
            audit = AuditEntry.objects.get(action="cases.case.submitted", target_id=str(case.pk))
            assert audit.target_label.startswith(case.tracking_code)

    def test_staff_changes_reach_the_notifications_at_once(self, tree, submit):
        newcomer = make_member(tree.community_a1, Role.COMMUNITY_STAFF)
        case = submit()
        assert Notification.objects.filter(case=case, recipient=newcomer).exists()
        membership_end(actor=SYSTEM, membership=newcomer.memberships.get(), reason="调离")
        later = submit()
        assert not Notification.objects.filter(case=later, recipient=newcomer).exists()

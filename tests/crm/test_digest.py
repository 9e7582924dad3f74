"""The daily digest: one email per user and day, their own items, grouped, and team figures."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import LeadStatus
from crm.digest import ITEMS_PER_SECTION, build_digests, digest_recipients, send_digests
from crm.models import DigestDelivery
from pipeline.jobs import cutoff_of
from pipeline.models import AlertKind, StageAlert
from tests.factories import LeadFactory, OpportunityFactory, TaskFactory, UserFactory

DAY = dt.date(2026, 11, 23)
CUTOFF = cutoff_of(DAY)


def stale_deal(owner, stage, **fields):
    return OpportunityFactory(owner=owner, stage=stage, stale_since=DAY, **fields)


def overdue_task(assignee, **fields):
    return TaskFactory(
        assignee=assignee,
        opportunity__owner=assignee,
        due_at=fields.pop("due_at", CUTOFF - dt.timedelta(days=2)),
        overdue_since=DAY - dt.timedelta(days=2),
        **fields,
    )


def email_to(user):
    (message,) = [message for message in mail.outbox if message.to == [user.email]]
    return message


def test_user_gets_their_stale_deals_overdue_tasks_and_leads_in_one_email(alice, stage):
    deal = stale_deal(alice, stage, title="Acme renewal")
    overdue_task(alice, title="Send the revised offer")
    LeadFactory(
        owner=alice,
        last_name="Lovelace",
        status=LeadStatus.CONTACTED,
        disqualification_proposed_since=DAY,
    )

    assert send_digests(DAY) == 2  # Alice's, and her manager Maria's team figures

    message = email_to(alice)
    assert message.subject == "Your pipeline on 2026-11-23"
    text = message.body
    assert "1 stale deal\n" in text
    assert f"Acme renewal ({deal.company.name}, Qualification)" in text
    assert f"/deals/{deal.pk}/" in text
    assert "1 overdue task\n" in text
    assert "Send the revised offer" in text
    assert "1 lead is proposed for disqualification" in text
    assert "Lovelace" in text
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Acme renewal" in html


def test_second_run_for_the_same_day_sends_nothing(alice, maria, stage):
    stale_deal(alice, stage)

    first, second = send_digests(DAY), send_digests(DAY)

    assert (first, second) == (2, 0)
    assert len(mail.outbox) == 2
    assert set(DigestDelivery.objects.values_list("recipient", flat=True)) == {alice.pk, maria.pk}
    assert send_digests(DAY + dt.timedelta(days=1)) == 2


def test_nothing_to_report_sends_no_email(alice, bob, charlie, sam, stage):
    stale_deal(charlie, stage)

    send_digests(DAY)

    assert sorted(message.to[0] for message in mail.outbox) == [charlie.email, sam.email]
    assert not DigestDelivery.objects.filter(recipient=bob).exists()


def test_only_active_users_who_want_the_digest_and_have_an_address_get_it(stage):
    keen = UserFactory()
    quiet = UserFactory(daily_digest=False)
    gone = UserFactory(is_active=False)
    nameless = UserFactory(email="")
    for user in (keen, quiet, gone, nameless):
        stale_deal(user, stage)

    send_digests(DAY)

    assert list(digest_recipients().filter(pk__in=[quiet.pk, gone.pk, nameless.pk])) == []
    assert [message.to for message in mail.outbox] == [[keen.email]]


def test_digest_lists_only_the_recipients_own_records(alice, bob, charlie, stage):
    stale_deal(alice, stage, title="Alice's deal")
    stale_deal(bob, stage, title="Bob's deal")
    stale_deal(charlie, stage, title="Charlie's deal")

    send_digests(DAY)

    text = email_to(alice).body
    assert "Alice's deal" in text
    assert "Bob's deal" not in text
    assert "Charlie's deal" not in text


def test_manager_gets_their_teams_figures_and_the_days_stage_alerts(
    maria, alice, bob, charlie, stage
):
    stale_deal(alice, stage)
    stale_deal(alice, stage)
    overdue_task(bob)
    stale_deal(charlie, stage)  # South: not Maria's team
    StageAlert.objects.create(
        stage=stage, kind=AlertKind.CONGESTED, raised_on=DAY, count=31, baseline=Decimal("12.5")
    )

    send_digests(DAY)

    text = email_to(maria).body
    assert "Your teams" in text
    assert f"{alice}: 2 stale deals, 0 overdue tasks" in text
    assert f"{bob}: 0 stale deals, 1 overdue tasks" in text
    assert str(charlie) not in text
    assert "Congested stage: Qualification" in text
    assert "31 deals, usually 12.5" in text
    assert "Pipeline alerts" not in email_to(alice).body


def test_a_long_section_lists_the_first_items_and_counts_the_rest(alice, stage):
    for number in range(ITEMS_PER_SECTION + 2):
        stale_deal(alice, stage, title=f"Deal {number:02}")

    send_digests(DAY)

    text = email_to(alice).body
    assert f"{ITEMS_PER_SECTION + 2} stale deals" in text
    assert text.count("/deals/") == ITEMS_PER_SECTION
    assert "and 2 more" in text


def test_times_are_shown_in_the_recipients_zone(alice):
    alice.time_zone = "Asia/Jakarta"
    alice.save(update_fields=["time_zone"])
    overdue_task(alice, due_at=dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC))

    send_digests(DAY)

    assert "11/21/2026 6:30 a.m." in email_to(alice).body


def test_a_digest_that_fails_to_send_is_not_recorded_as_sent(monkeypatch, alice, bob, maria, stage):
    stale_deal(alice, stage)
    stale_deal(bob, stage)
    real_send = EmailBackend.send_messages

    def refuse_alice(self, messages):
        if messages[0].to == [alice.email]:
            raise ConnectionError("mail server said no")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_alice)

    assert send_digests(DAY) == 2
    assert set(DigestDelivery.objects.values_list("recipient", flat=True)) == {bob.pk, maria.pk}


def queries_to_build(users) -> int:
    with CaptureQueriesContext(connection) as queries:
        digests = build_digests(DAY, digest_recipients().filter(pk__in=[u.pk for u in users]))
        for digest in digests:
            for section in (digest.stale_deals, digest.overdue_tasks):
                for item in section.items:
                    str(item)
    return len(queries)


@pytest.mark.parametrize("recipients", [2, 8])
def test_building_digests_costs_the_same_queries_for_any_number_of_users(recipients, maria, stage):
    users = [maria]
    for _ in range(recipients):
        rep = UserFactory(team=maria.team)
        for _item in range(3):
            stale_deal(rep, stage)
            overdue_task(rep)
        users.append(rep)
    StageAlert.objects.create(
        stage=stage, kind=AlertKind.CONGESTED, raised_on=DAY, count=31, baseline=Decimal(12)
    )

    # The recipients; per section (stale deals, overdue tasks, two lead steps) the totals
    # and the first items; the manager's team, its stale deals and overdue tasks; the alerts.
    assert queries_to_build(users) == 1 + 4 * 2 + 3 + 1

"""Duplicate leads: the same email (any case) or the same company domain is one prospect."""

import pytest

from contacts.models import Lead
from contacts.services import DuplicateLead, create_lead, find_duplicate_leads, normalise_domain
from contacts.services.duplicates import email_domain
from tests.factories import LeadFactory


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("acme.com", "acme.com"),
        ("  ACME.com ", "acme.com"),
        ("https://www.acme.com/about?x=1", "acme.com"),
        ("http://shop.acme.com:8080", "shop.acme.com"),
        ("www.acme.com.", "acme.com"),
        ("", ""),
    ],
)
def test_domains_are_compared_without_scheme_www_port_or_path(raw, normalised):
    assert normalise_domain(raw) == normalised


def test_free_mail_reveals_no_company_domain():
    assert email_domain("ada@Acme.COM") == "acme.com"
    assert email_domain("ada@gmail.com") == ""
    assert email_domain("not-an-address") == ""


def test_email_matches_case_insensitively(alice):
    earlier = LeadFactory(email="Ada.Lovelace@Acme.com", owner=alice)

    matches = find_duplicate_leads(email="ada.lovelace@ACME.COM", company_domain="")

    assert list(matches) == [earlier]


def test_company_domain_matches_after_normalising(alice):
    earlier = LeadFactory(email="", company_domain="acme.com", owner=alice)

    matches = find_duplicate_leads(email="", company_domain="https://www.ACME.com/contact")

    assert list(matches) == [earlier]


def test_domain_is_derived_from_a_business_email(alice):
    earlier = LeadFactory(email="", company_domain="acme.com", owner=alice)

    assert list(find_duplicate_leads(email="grace@acme.com", company_domain="")) == [earlier]


def test_free_mail_addresses_never_match_by_domain(alice):
    LeadFactory(email="someone@gmail.com", company_domain="", owner=alice)
    LeadFactory(email="", company_domain="gmail.com", owner=alice)

    assert not find_duplicate_leads(email="other@gmail.com", company_domain="").exists()


def test_nothing_matches_a_lead_without_email_or_domain(alice):
    LeadFactory(email="", company_domain="", owner=alice)

    assert not find_duplicate_leads(email="", company_domain="").exists()


def test_matches_are_oldest_first_and_exclude_the_lead_itself(alice):
    first = LeadFactory(email="a@acme.com", company_domain="acme.com", owner=alice)
    second = LeadFactory(email="b@acme.com", company_domain="acme.com", owner=alice)

    assert list(find_duplicate_leads(email="c@acme.com", company_domain="")) == [first, second]
    assert list(
        find_duplicate_leads(email="b@acme.com", company_domain="acme.com", exclude=second)
    ) == [first]


def test_creating_a_duplicate_is_refused_with_the_matches(alice, charlie):
    earlier = LeadFactory(email="ada@acme.com", owner=charlie)

    with pytest.raises(DuplicateLead) as refusal:
        create_lead(
            by=alice, fields={"last_name": "Lovelace", "email": "ADA@acme.com", "source": "web"}
        )

    assert refusal.value.matches == [earlier]
    assert Lead.objects.count() == 1


def test_a_duplicate_created_anyway_is_flagged_against_the_oldest_match(alice):
    oldest = LeadFactory(email="ada@acme.com", owner=alice)
    LeadFactory(email="", company_domain="acme.com", owner=alice)

    lead = create_lead(
        by=alice,
        fields={"last_name": "Lovelace", "email": "ada@acme.com", "source": "web"},
        allow_duplicate=True,
    )

    assert lead.duplicate_of == oldest
    assert Lead.objects.count() == 3


def test_a_new_lead_from_a_business_address_keeps_its_domain(alice):
    lead = create_lead(
        by=alice, fields={"last_name": "Hopper", "email": "grace@Navy.mil", "source": "web"}
    )

    assert lead.company_domain == "navy.mil"
    assert lead.duplicate_of is None

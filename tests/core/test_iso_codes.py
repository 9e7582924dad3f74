"""Currencies are ISO 4217 codes and countries ISO 3166 codes, refused alike at every door."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from contacts.models import Company
from contacts.services.companies import create_company
from contacts.services.leads import create_lead
from contacts.services.policy import add_territory
from core.countries import validate_country
from core.currencies import CURRENCY_CODES, normalise_currency, validate_currency
from forecasting.models import Quota
from pipeline.models import Opportunity
from pipeline.services import create_opportunity, update_opportunity
from tests.factories import CompanyFactory, OpportunityFactory, PipelineFactory, StageFactory
from tests.imports.importing import run_import

NOT_CURRENCIES = ["XYZ", "QQQ", "XXX", "XAU", "DEM", "eur", "EURO", ""]
NOT_COUNTRIES = ["XX", "UK", "QQ", "de", "DEU"]


@pytest.mark.parametrize("code", ["EUR", "USD", "IDR", "CHF", "JPY", "XOF"])
def test_money_in_use_is_a_currency(code):
    validate_currency(code)


@pytest.mark.parametrize("code", NOT_CURRENCIES)
def test_codes_that_name_no_money_in_use_are_refused(code):
    with pytest.raises(ValidationError) as refusal:
        validate_currency(code)

    assert refusal.value.code == "invalid_currency"


def test_the_list_is_iso_4217_as_published_not_every_three_letters():
    assert {"EUR", "USD", "IDR", "GBP"} <= CURRENCY_CODES
    assert len(CURRENCY_CODES) < 200  # 26**3 three-letter strings would pass a pattern


def test_a_code_is_read_trimmed_and_in_capitals():
    assert normalise_currency(" eur ") == "EUR"
    assert normalise_currency(None) == ""


@pytest.mark.parametrize("code", NOT_COUNTRIES)
def test_codes_that_name_no_country_are_refused(code):
    with pytest.raises(ValidationError):
        validate_country(code)


def test_an_installation_with_a_made_up_default_currency_does_not_start(settings):
    settings.DEFAULT_CURRENCY = "XYZ"

    with pytest.raises(SystemCheckError, match="DEFAULT_CURRENCY"):
        call_command("check")


# --- every door ------------------------------------------------------------------------------


@pytest.fixture
def pipeline(db):
    pipeline = PipelineFactory()
    StageFactory(pipeline=pipeline, position=1)
    return pipeline


@pytest.mark.parametrize("code", ["XYZ", "QQQ"])
def test_the_create_service_refuses_a_made_up_currency(alice, pipeline, code):
    with pytest.raises(ValidationError) as refusal:
        create_opportunity(
            by=alice,
            title="Deal",
            company=CompanyFactory(owner=alice),
            pipeline=pipeline,
            value=Decimal(10),
            currency=code,
        )

    assert list(refusal.value.message_dict) == ["currency"]
    assert f"“{code}”" in refusal.value.message_dict["currency"][0]
    assert not Opportunity.objects.exists()


def test_the_edit_service_refuses_a_made_up_currency(alice, pipeline):
    deal = OpportunityFactory(owner=alice, stage=pipeline.stages.get())

    with pytest.raises(ValidationError) as refusal:
        update_opportunity(
            by=alice, opportunity_id=deal.pk, version=None, fields={"currency": "XYZ"}
        )

    assert list(refusal.value.message_dict) == ["currency"]
    deal.refresh_from_db()
    assert deal.currency == "EUR"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_api_refuses_a_made_up_currency_naming_the_field(api_as, alice, pipeline, method):
    client = api_as(alice)
    if method == "post":
        payload = {
            "title": "Deal",
            "company": CompanyFactory(owner=alice).pk,
            "pipeline": pipeline.pk,
            "currency": "XYZ",
        }
        response = client.post("/api/opportunities/", payload, format="json")
    else:
        deal = OpportunityFactory(owner=alice, stage=pipeline.stages.get())
        response = client.patch(
            f"/api/opportunities/{deal.pk}/", {"currency": "QQQ"}, format="json"
        )

    assert response.status_code == 400
    assert list(response.json()) == ["currency"]
    assert "ISO 4217" in response.json()["currency"][0]


def test_a_quota_in_a_made_up_currency_is_refused(api_as, ada, alice):
    payload = {
        "user": alice.pk,
        "period_start": "2027-01-01",
        "period_end": "2027-03-31",
        "amount": "1.00",
        "currency": "XYZ",
    }

    response = api_as(ada).post("/api/quotas/", payload, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["currency"]
    assert not Quota.objects.exists()


def test_an_import_row_with_a_made_up_currency_is_rejected_by_line(alice, pipeline):
    CompanyFactory(owner=alice, name="Acme")
    content = "title,company,value,currency\nGood,Acme,5,usd\nBad,Acme,5,XYZ\n"

    result = run_import(alice, "deals", content)

    assert result.reasons == {
        3: ["currency: “XYZ” is not an ISO 4217 currency code; use one such as EUR or USD."]
    }
    assert list(Opportunity.objects.values_list("title", "currency")) == [("Good", "USD")]


def test_a_company_in_a_made_up_country_is_refused_and_a_real_one_stored_in_capitals(alice):
    with pytest.raises(ValidationError) as refusal:
        create_company(by=alice, fields={"name": "Acme", "country": "UK"})

    assert list(refusal.value.message_dict) == ["country"]
    company = create_company(by=alice, fields={"name": "Acme", "country": "gb"})
    assert company.country == "GB"
    assert Company.objects.count() == 1


def test_a_lead_in_a_made_up_country_is_refused(alice):
    with pytest.raises(ValidationError) as refusal:
        create_lead(
            by=alice,
            fields={"first_name": "Ada", "last_name": "Lovelace", "source": "web", "country": "XX"},
        )

    assert list(refusal.value.message_dict) == ["country"]


def test_a_territory_of_a_made_up_country_is_refused(ada, north):
    with pytest.raises(ValidationError) as refusal:
        add_territory(by=ada, team=north, country="QQ")

    assert list(refusal.value.message_dict) == ["country"]


def test_an_import_row_with_a_made_up_country_is_rejected_by_line(alice):
    result = run_import(alice, "companies", "name,country\nAcme,de\nGlobex,XX\n")

    assert result.reasons == {
        3: ["country: “XX” is not an ISO 3166 country code; use one such as DE or US."]
    }
    assert list(Company.objects.values_list("name", "country")) == [("Acme", "DE")]

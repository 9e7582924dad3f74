"""Values as real exports write them: country names, currency codes in any case; and what
stays refused, with a message that says what to write instead."""

import pytest

from contacts.models import Company, Lead
from pipeline.models import Opportunity
from tests.imports.importing import run_import


def test_country_names_in_the_users_languages_become_iso_codes(alice):
    content = """name,country
Acme US,United States
Acme DE,Deutschland
Acme IT,Germania
Acme ID,Jerman
Acme UK,UK
Acme USA,usa
Acme AT,Österreich
"""
    result = run_import(alice, "companies", content)

    assert result.outcome.rejected == 0
    assert dict(Company.objects.values_list("name", "country")) == {
        "Acme US": "US",
        "Acme DE": "DE",
        "Acme IT": "DE",
        "Acme ID": "DE",
        "Acme UK": "GB",
        "Acme USA": "US",
        "Acme AT": "AT",
    }


def test_a_lead_country_is_read_the_same_way(alice):
    run_import(alice, "leads", "last_name,country\nLovelace,Regno Unito\n")

    assert Lead.objects.get().country == "GB"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("Narnia", "“Narnia” is not a country this CRM knows; use its ISO code"),
        ("XX", "“XX” is not an ISO 3166 country code; use one such as DE or US."),
    ],
)
def test_an_unknown_country_is_a_row_error(alice, cell, message):
    result = run_import(alice, "companies", f"name,country\nAcme,{cell}\n")

    assert result.outcome.rejected == 1
    (reason,) = result.reasons[2]
    assert reason.startswith(f"country: {message}")
    assert not Company.objects.exists()


def test_currency_codes_pass_in_lower_case_and_with_spaces(alice, acme, pipeline):
    result = run_import(alice, "deals", 'title,company,currency\nA,Acme," usd "\nB,Acme,chf\n')

    assert result.outcome.rejected == 0
    assert sorted(Opportunity.objects.values_list("currency", flat=True)) == ["CHF", "USD"]


@pytest.mark.parametrize(
    ("sign", "message"),
    [
        ("€", "“€” is a currency sign, not a code; write its ISO 4217 code, EUR."),
        ("US$", "“US$” is a currency sign, not a code; write its ISO 4217 code, USD."),
        ("$", "“$” is a currency sign, not a code; write its ISO 4217 code, USD or CAD or AUD."),
        ("euro", "“euro” is not an ISO 4217 currency code; use one such as EUR or USD."),
    ],
)
def test_a_currency_sign_is_refused_with_the_code_to_write(alice, acme, pipeline, sign, message):
    result = run_import(alice, "deals", f"title,company,currency\nA,Acme,{sign}\n")

    assert result.reasons == {2: [f"currency: {message}"]}
    assert not Opportunity.objects.exists()


# Salesforce's Account object (Object Reference, field reference for Account): BillingCountry
# is free text of up to 80 characters, so a Data Loader export holds names as the users typed
# them; CurrencyIsoCode, on multi-currency orgs, holds three-letter ISO 4217 codes.
SALESFORCE_ACCOUNTS = """Id,Name,BillingCountry,Industry,CurrencyIsoCode
0015g00000AbCdEAAV,Globex,United States,Manufacturing,USD
0015g00000AbCdFAAV,Initech GmbH,Germany,Technology,EUR
0015g00000AbCdGAAV,Umbrella Srl,Italia,Chemicals,EUR
0015g00000AbCdHAAV,Hooli UK,United Kingdom,Technology,GBP
0015g00000AbCdIAAV,PT Maju,Indonesia,Retail,IDR
"""


def test_a_salesforce_account_export_keeps_its_billing_countries(alice):
    mapping = {"external_id": "Id", "name": "Name", "country": "BillingCountry"}

    result = run_import(alice, "companies", SALESFORCE_ACCOUNTS, mapping)

    assert result.outcome.rejected == 0, result.reasons
    assert dict(Company.objects.values_list("external_id", "country")) == {
        "0015g00000AbCdEAAV": "US",
        "0015g00000AbCdFAAV": "DE",
        "0015g00000AbCdGAAV": "IT",
        "0015g00000AbCdHAAV": "GB",
        "0015g00000AbCdIAAV": "ID",
    }

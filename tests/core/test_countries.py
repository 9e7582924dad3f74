"""Country names as exports write them become ISO 3166 alpha-2 codes; anything else does not."""

import pytest

from core.countries import COUNTRY_CODES, country_code, name_key


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("Germania", "DE"),
        ("Jerman", "DE"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("Vereinigte Staaten", "US"),
        ("Stati Uniti", "US"),
        ("Amerika Serikat", "US"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("Regno Unito", "GB"),
        ("Vereinigtes Königreich", "GB"),
        ("Österreich", "AT"),
        ("Osterreich", "AT"),
        ("The Netherlands", "NL"),
        ("Paesi Bassi", "NL"),
        ("South Korea", "KR"),
        ("Korea Selatan", "KR"),
        ("Vietnam", "VN"),
        ("Côte d'Ivoire", "CI"),
        ("  Italien  ", "IT"),
        ("Indonesia", "ID"),
    ],
)
def test_codes_and_names_in_the_users_languages_are_read_as_codes(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["Narnia", "XX", "QQQ", "", "Europe", "Deutsch"])
def test_what_names_no_country_is_not_read(written):
    assert country_code(written) is None


def test_every_name_read_gives_a_real_code():
    assert {country_code("Germany"), country_code("Jerman")} <= COUNTRY_CODES


def test_names_compare_without_case_accents_dots_or_a_leading_article():
    assert name_key("The U.S.A.") == name_key("usa")
    assert name_key("Côte  d\u2019Ivoire") == name_key("cote d ivoire")

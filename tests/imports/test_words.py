"""Choice words are translated once per language, and still in the importer's language."""

import pytest
from django.utils import translation

from crm.imports.kinds import deal_status, yes_no
from crm.imports.parsing import CellError

GERMAN = {"Won": "Gewonnen", "Lost": "Verloren", "yes": "ja", "no": "nein"}


@pytest.fixture
def german(monkeypatch):
    """A German catalogue for a few words (the project ships none yet)."""
    english = translation._trans.gettext

    def gettext(message):
        if translation.get_language() == "de":
            return GERMAN.get(message, message)
        return english(message)

    monkeypatch.setattr(translation._trans, "gettext", gettext)


def test_status_and_yes_no_are_read_in_the_active_language(german):
    with translation.override("en"):
        assert deal_status("WON") == "won"
        assert yes_no("Yes") is True
        with pytest.raises(CellError):
            deal_status("gewonnen")
    with translation.override("de"):
        assert deal_status("gewonnen") == "won"
        assert deal_status("Verloren") == "lost"
        assert deal_status("won") == "won"  # our codes in any language
        assert (yes_no("JA"), yes_no("nein"), yes_no("no")) == (True, False, False)
    # The German words were the German catalogue's, not every language's from now on.
    with translation.override("en"), pytest.raises(CellError):
        yes_no("ja")

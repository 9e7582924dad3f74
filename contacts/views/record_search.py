"""What a company or contact picker offers as the user types (``contacts/pickers.py``).

Each answers with the picker's options: a few visible records, and "add new" for the text
typed (not with ``existing=1``: a form that only picks existing records, as the deal edit
page). The picker says which of its inputs holds the text (``field``, default ``q``) and its
id (``picker``), so one endpoint serves every form that uses the widget. One query each.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import User
from contacts.pickers import clean_text, parse_pk, search_companies, search_contacts
from core.htmx import login_required_for_htmx

TEMPLATE = "contacts/_record_search_results.html"
_PICKER_ID = re.compile(r"[A-Za-z][\w-]{0,60}")


def _terms(request: HttpRequest) -> str:
    field = request.GET.get("field", "q")
    return clean_text(request.GET.get(field, ""))


def _picker(request: HttpRequest) -> str:
    picker = request.GET.get("picker", "")
    return picker if _PICKER_ID.fullmatch(picker) else "record-picker"


def _options(request: HttpRequest, kind: str, records: list, terms: str) -> HttpResponse:
    exact = any(str(record).casefold() == terms.casefold() for record in records)
    context = {
        "kind": kind,
        "records": records,
        "terms": terms,
        "offers_new": bool(terms) and not exact and request.GET.get("existing") != "1",
        "picker": _picker(request),
    }
    return render(request, TEMPLATE, context)


@login_required_for_htmx
@require_GET
def company_search(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    terms = _terms(request)
    return _options(request, "company", search_companies(user, terms), terms)


@login_required_for_htmx
@require_GET
def contact_search(request: HttpRequest) -> HttpResponse:
    """Contacts; with ``company`` (a company's id), only that company's."""
    user = request.user
    assert isinstance(user, User)
    terms = _terms(request)
    company_id = parse_pk(request.GET.get("company"))
    return _options(request, "contact", search_contacts(user, terms, company_id=company_id), terms)

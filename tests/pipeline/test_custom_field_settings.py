"""The custom field settings pages: admins only; add, edit, reorder, archive.

North: manager Maria, reps Alice and Bob. South: manager Sam, rep Charlie. Ada is admin.
"""

import pytest
from django.urls import reverse

from contacts.models import Company, RecordField
from core.custom_fields.kinds import FieldKind
from pipeline.models import DealField, Opportunity
from tests.factories import CompanyFactory, OpportunityFactory, StageFactory
from tests.html import element, elements, links

RECORDS = ["deal", "company", "contact", "lead"]


def list_url(record="deal"):
    return reverse("pipeline:custom_field_settings", args=[record])


@pytest.fixture
def ada_web(client, ada):
    client.force_login(ada)
    return client


@pytest.mark.parametrize("user", ["alice", "bob", "maria", "charlie", "sam"])
def test_only_admins_open_or_change_the_settings(client, request, user, db):
    definition = DealField.objects.create(key="budget", label="Budget", kind="text")
    client.force_login(request.getfixturevalue(user))
    urls = [
        list_url(),
        reverse("pipeline:edit_custom_field", args=["deal", definition.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, {"label": "Hacked", "kind": "text"}).status_code == 403
    archive = reverse("pipeline:archive_custom_field", args=["deal", definition.pk])
    assert client.post(archive, {"archived": "1"}).status_code == 403
    order = reverse("pipeline:reorder_custom_fields", args=["deal"])
    assert client.post(order, {"key": "budget", "direction": "up"}).status_code == 403
    assert DealField.objects.get().label == "Budget"
    assert DealField.objects.count() == 1


def test_anonymous_users_go_to_the_login_page(client, db):
    response = client.get(list_url())
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_settings_links_to_custom_fields(ada_web):
    page = ada_web.get(reverse("crm:settings"))
    assert links(page.content)["Manage custom fields"] == list_url()


@pytest.mark.parametrize("record", RECORDS)
def test_admin_adds_a_field_of_each_record(ada_web, record):
    response = ada_web.post(
        list_url(record),
        {"label": "Segment", "kind": "choices", "choices": "SMB\nenterprise | Enterprise"},
    )
    assert response.status_code == 302
    model = DealField if record == "deal" else RecordField
    definition = model.objects.get()
    assert definition.key == "segment"
    assert definition.choices == [
        {"key": "smb", "label": "SMB"},
        {"key": "enterprise", "label": "Enterprise"},
    ]
    page = ada_web.get(list_url(record))
    row = element(page.content, "tr", id=f"custom-field-{definition.pk}")
    assert "Segment" in row.text
    assert "SMB, Enterprise" in row.text


def test_deal_field_required_from_a_stage(ada_web):
    stage = StageFactory(name="Offer")
    response = ada_web.post(
        list_url(),
        {"label": "Budget", "kind": "money", "currency": "EUR", "required_from_stage": stage.pk},
    )
    assert response.status_code == 302
    assert DealField.objects.get().required_from_stage == stage
    page = ada_web.get(list_url())
    assert (
        "Offer" in element(page.content, "tr", id=f"custom-field-{DealField.objects.get().pk}").text
    )


def test_bad_input_answers_422_naming_the_field(ada_web):
    response = ada_web.post(list_url("lead"), {"label": "Tier", "kind": "choice", "choices": ""})
    assert response.status_code == 422
    error = element(response.content, "div", id="new-choices_error")
    assert "Give at least one choice." in error.text
    assert not RecordField.objects.exists()


def test_a_change_of_kind_with_values_that_do_not_fit_is_refused(ada_web, alice):
    definition = RecordField.objects.create(
        record="company", key="founded", label="Founded", kind=FieldKind.TEXT
    )
    CompanyFactory(owner=alice, name="Acme", custom_fields={"founded": "long ago"})
    url = reverse("pipeline:edit_custom_field", args=["company", definition.pk])

    response = ada_web.post(url, {"label": "Founded", "kind": "date"})

    assert response.status_code == 422
    message = element(response.content, "div", id="id_kind_error").text
    assert "1 record" in message
    assert "Acme" in message
    assert RecordField.objects.get().kind == FieldKind.TEXT
    assert Company.objects.get().custom_fields == {"founded": "long ago"}


def test_edit_relabels_and_keeps_the_key(ada_web, alice):
    definition = DealField.objects.create(key="budget", label="Budget", kind="number")
    deal = OpportunityFactory(owner=alice, custom_fields={"budget": "5"})
    url = reverse("pipeline:edit_custom_field", args=["deal", definition.pk])
    page = ada_web.get(url)
    assert element(page.content, "input", name="label").attrs["value"] == "Budget"

    assert ada_web.post(url, {"label": "Approved budget", "kind": "number"}).status_code == 302

    assert DealField.objects.get().label == "Approved budget"
    assert DealField.objects.get().key == "budget"
    assert Opportunity.objects.get(pk=deal.pk).custom_fields == {"budget": "5"}


def test_reorder_archive_and_restore(ada_web):
    first = DealField.objects.create(key="a", label="A", kind="text", position=0)
    second = DealField.objects.create(key="b", label="B", kind="text", position=1)
    page = ada_web.get(list_url())
    assert [row.attrs["id"] for row in elements(page.content, "tr") if "id" in row.attrs] == [
        f"custom-field-{first.pk}",
        f"custom-field-{second.pk}",
    ]
    order = reverse("pipeline:reorder_custom_fields", args=["deal"])
    assert ada_web.post(order, {"key": "b", "direction": "up"}).status_code == 302
    assert list(DealField.objects.order_by("position").values_list("key", flat=True)) == ["b", "a"]

    archive = reverse("pipeline:archive_custom_field", args=["deal", first.pk])
    ada_web.post(archive, {"archived": "1"})
    page = ada_web.get(list_url())
    assert element(page.content, "ul", id="archived-custom-fields").text.startswith("A a")
    ada_web.post(archive, {"archived": "0"})
    assert not DealField.objects.get(pk=first.pk).is_archived


def test_unknown_record_kind_is_404(ada_web):
    assert ada_web.get(list_url("planet")).status_code == 404


@pytest.mark.parametrize("count", [10, 1000])
def test_settings_page_queries_do_not_grow_with_the_fields(
    ada_web, count, django_assert_num_queries
):
    stage = StageFactory()
    DealField.objects.bulk_create(
        DealField(key=f"f{n}", label=f"F{n}", kind="text", position=n, required_from_stage=stage)
        for n in range(count)
    )
    # session, user, fields (with their stages and pipelines), stages for the form's choices
    with django_assert_num_queries(4):
        response = ada_web.get(list_url())
    assert len(elements(response.content, "tr")) == count + 1

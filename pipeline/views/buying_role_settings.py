"""Settings for admins: the buying roles (list, add, rename, reorder, deciding, retire).

One page, ``buying-roles``, whose list is also the fragment every write answers htmx with
(422 with the message when the service refuses); without JavaScript a write redirects back
to the page with its message. The services decide; these views parse and render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import reswap, retarget

from core.views import AdminView
from pipeline.models import BuyingRole, DealContact
from pipeline.services import buying_roles as services

TEMPLATE = "pipeline/settings/buying_roles.html"


class RoleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    decides = forms.BooleanField(label=gettext_lazy("Decides"), required=False)


class OrderForm(forms.Form):
    order = forms.CharField()

    def clean_order(self) -> list[int]:
        try:
            return [int(pk) for pk in self.cleaned_data["order"].split(",") if pk]
        except ValueError:
            raise ValidationError(_("List every role once.")) from None


def _rows() -> list[dict[str, Any]]:
    """Every role in order with how many buying-team places have it, and the orders its up
    and down arrows send: one query."""
    members = (
        DealContact.objects.filter(role=OuterRef("pk"))
        .order_by()
        .values("role")
        .annotate(count=Count("pk"))
        .values("count")
    )
    roles = list(
        BuyingRole.objects.annotate(members=Coalesce(Subquery(members), 0)).order_by(
            "position", "name"
        )
    )
    ids = [role.pk for role in roles]
    rows = []
    for index, role in enumerate(roles):
        up = down = None
        if index > 0:
            up = [*ids[: index - 1], ids[index], ids[index - 1], *ids[index + 1 :]]
        if index < len(ids) - 1:
            down = [*ids[:index], ids[index + 1], ids[index], *ids[index + 2 :]]
        rows.append(
            {
                "role": role,
                "up": ",".join(map(str, up)) if up else "",
                "down": ",".join(map(str, down)) if down else "",
            }
        )
    return rows


class BuyingRolesView(AdminView):
    """The page; POST adds a role."""

    def get(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        return _render(request)

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        form = RoleForm(request.POST)
        if not form.is_valid():
            return _refused(request, " ".join(_errors(form)))
        try:
            role = services.add_buying_role(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            return _refused(request, " ".join(error.messages))
        return _done(request, _("Role “%(name)s” added.") % {"name": role.name})


class BuyingRoleView(AdminView):
    """POST with ``action``: save (name and deciding flag), retire or restore."""

    def post(self, request: Any, *args: Any, pk: int, **kwargs: Any) -> HttpResponse:
        role = get_object_or_404(BuyingRole, pk=pk)
        action = request.POST.get("action", "save")
        try:
            if action == "retire":
                deleted = services.retire_buying_role(by=request.user, role_id=role.pk)
                message = (
                    _("Role “%(name)s” deleted.")
                    if deleted
                    else _("Role “%(name)s” retired: the teams that have it keep it.")
                )
            elif action == "restore":
                services.restore_buying_role(by=request.user, role_id=role.pk)
                message = _("Role “%(name)s” is offered again.")
            else:
                form = RoleForm(request.POST)
                if not form.is_valid():
                    return _refused(request, " ".join(_errors(form)))
                role = services.rename_buying_role(
                    by=request.user, role_id=role.pk, name=form.cleaned_data["name"]
                )
                services.set_buying_role_decides(
                    by=request.user, role_id=role.pk, decides=form.cleaned_data["decides"]
                )
                message = _("Role “%(name)s” saved.")
        except ValidationError as error:
            return _refused(request, " ".join(error.messages))
        return _done(request, message % {"name": role.name})


class ReorderBuyingRolesView(AdminView):
    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        form = OrderForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_errors(form))
            services.reorder_buying_roles(by=request.user, role_ids=form.cleaned_data["order"])
        except ValidationError as error:
            return _refused(request, " ".join(error.messages))
        return _done(request, _("Roles reordered."))


def _errors(form: forms.Form) -> list[str]:
    return [
        f"{form[name].label}: {message}"
        for name, errors in form.errors.items()
        for message in errors
    ]


def _render(request: Any, status: int = 200, **extra: Any) -> TemplateResponse:
    fragment = "#role-list" if request.htmx else ""
    context = {"rows": _rows(), "form": RoleForm(auto_id="new-role-%s"), **extra}
    return TemplateResponse(request, TEMPLATE + fragment, context, status=status)


def _done(request: Any, message: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, message)
        return HttpResponseRedirect(reverse("pipeline:buying_roles"), status=303)
    return _render(request, done_message=message)


def _refused(request: Any, message: str) -> HttpResponse:
    if not request.htmx:
        messages.error(request, message)
        return HttpResponseRedirect(reverse("pipeline:buying_roles"), status=303)
    response = _render(request, 422, error_message=message)
    retarget(response, "#buying-roles")
    reswap(response, "outerHTML")
    return response

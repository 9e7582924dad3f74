"""The product catalogue settings, for admins: list with search, add, edit, retire.

Plain forms and links (POST, then a redirect) that htmx improves: the list's search and
filter swap only the table (``product-table``), and retiring or reactivating a product
swaps only its row (``product-row``, element ``product-<pk>``). The rules live in
``pipeline.services.products``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.views import AdminRequest, AdminView
from pipeline.forms.products import ProductForm, ProductSearchForm
from pipeline.models import Product, ProductPrice
from pipeline.services.products import create_product, set_product_active, update_product

LIST_TEMPLATE = "pipeline/settings/product_list.html"
FORM_TEMPLATE = "pipeline/settings/product_form.html"
PAGE_SIZE = 50
UNPROCESSABLE = 422


def catalogue(query: str = "", status: str = "active") -> QuerySet[Product]:
    """Products matching ``query`` (name or code) with their prices and line item counts."""
    products = Product.objects.prefetch_related(
        Prefetch("prices", queryset=ProductPrice.objects.order_by("currency"))
    ).annotate(line_item_count=Count("line_items"))
    if status == "active":
        products = products.filter(is_active=True)
    elif status == "retired":
        products = products.filter(is_active=False)
    if query:
        products = products.filter(Q(name__icontains=query) | Q(code__icontains=query))
    return products.order_by("name", "pk")


class ProductListView(AdminView):
    def get(self, request: AdminRequest) -> HttpResponse:
        search = ProductSearchForm(request.GET)
        search.is_valid()
        query = search.cleaned_data.get("q", "").strip()
        status = search.cleaned_data.get("status") or "active"
        page = Paginator(catalogue(query, status), PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"search": search, "page": page, "query": query, "status": status}
        fragment = "#product-table" if request.htmx else ""
        return render(request, LIST_TEMPLATE + fragment, context)


def _list_url() -> str:
    return reverse("pipeline:product_settings")


class AddProductView(AdminView):
    def get(self, request: AdminRequest) -> HttpResponse:
        return render(request, FORM_TEMPLATE, {"form": ProductForm(), "product": None})

    def post(self, request: AdminRequest) -> HttpResponse:
        form = ProductForm(request.POST)
        if form.is_valid():
            prices = form.prices()
            if form.is_valid():
                try:
                    data = form.cleaned_data
                    product = create_product(
                        by=request.user,
                        name=data["name"],
                        code=data["code"],
                        description=data["description"],
                        is_active=data["is_active"],
                        aliases=data["aliases"],
                        prices=prices,
                    )
                except ValidationError as error:
                    form.add_service_error(error)
                else:
                    messages.success(request, _("Product %(name)s added.") % {"name": product})
                    return HttpResponseRedirect(_list_url())
        return render(request, FORM_TEMPLATE, {"form": form, "product": None}, status=UNPROCESSABLE)


class EditProductView(AdminView):
    def get(self, request: AdminRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(Product, pk=pk)
        return render(
            request, FORM_TEMPLATE, {"form": ProductForm.for_product(product), "product": product}
        )

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(Product, pk=pk)
        form = ProductForm(request.POST)
        if form.is_valid():
            prices = form.prices()
            if form.is_valid():
                try:
                    update_product(
                        by=request.user,
                        product_id=product.pk,
                        fields=form.fields_for_service(),
                        prices=prices,
                    )
                except ValidationError as error:
                    form.add_service_error(error)
                else:
                    messages.success(request, _("Product %(name)s saved.") % {"name": product})
                    return HttpResponseRedirect(_list_url())
        context = {"form": form, "product": product}
        return render(request, FORM_TEMPLATE, context, status=UNPROCESSABLE)


class SetProductActiveView(AdminView):
    """Retire a product (``active=0``) or offer it again (``active=1``)."""

    def post(self, request: AdminRequest, pk: int) -> HttpResponse:
        product = get_object_or_404(Product, pk=pk)
        is_active = request.POST.get("active") == "1"
        set_product_active(by=request.user, product_id=product.pk, is_active=is_active)
        if request.htmx:
            row = catalogue(status="all").get(pk=product.pk)
            return render(request, LIST_TEMPLATE + "#product-row", {"product": row})
        if is_active:
            messages.success(request, _("%(name)s is offered again.") % {"name": product})
        else:
            messages.success(request, _("%(name)s is retired.") % {"name": product})
        return HttpResponseRedirect(_list_url())

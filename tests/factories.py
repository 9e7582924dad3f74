"""factory_boy factories for every model; build the smallest valid object by default."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, Team, User
from contacts.models import Company, Contact, Lead, LeadSource, QualificationCriterion
from forecasting.models import Quota
from pipeline.models import (
    BuyingRole,
    DealChange,
    DealContact,
    LineItem,
    Opportunity,
    Pipeline,
    Product,
    ProductPrice,
    Stage,
    StageKind,
    Task,
    Touchpoint,
    TouchpointKind,
)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.REP
    password = factory.django.Password("correct-horse-battery")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)
    probability = 20
    rotting_days = 14
    kind = StageKind.OPEN


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    owner = factory.SubFactory(UserFactory)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    company = factory.SubFactory(CompanyFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    owner = factory.SelfAttribute("company.owner")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company_name = factory.Faker("company")
    source = LeadSource.WEB
    owner = factory.SubFactory(UserFactory)


class QualificationCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationCriterion

    question = factory.Sequence(lambda n: f"Question {n}?")
    weight = 25


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    title = factory.Sequence(lambda n: f"Deal {n}")
    owner = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory, owner=factory.SelfAttribute("..owner"))
    stage = factory.SubFactory(StageFactory)
    pipeline = factory.SelfAttribute("stage.pipeline")
    value = Decimal("1000.00")
    currency = "EUR"
    position = factory.Sequence(lambda n: (n + 1) * 65536)


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    kind = TouchpointKind.CALL
    opportunity = factory.SubFactory(OpportunityFactory)
    by = factory.SelfAttribute("opportunity.owner")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Follow up {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    opportunity = factory.SubFactory(OpportunityFactory)
    assignee = factory.SelfAttribute("opportunity.owner")


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quota

    user = factory.SubFactory(UserFactory)
    period_start = dt.date(2026, 10, 1)
    period_end = dt.date(2026, 12, 31)
    amount = Decimal("100000.00")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    code = factory.Sequence(lambda n: f"P-{n:04d}")


class ProductPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductPrice

    product = factory.SubFactory(ProductFactory)
    currency = "EUR"
    unit_price = Decimal("100.00")


class LineItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineItem

    opportunity = factory.SubFactory(OpportunityFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = Decimal("1.00")
    unit_price = Decimal("100.00")


class BuyingRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BuyingRole
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Role {n}")


class DealContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealContact

    opportunity = factory.SubFactory(OpportunityFactory)
    contact = factory.SubFactory(ContactFactory)


class DealChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealChange

    opportunity = factory.SubFactory(OpportunityFactory)
    field = "value"
    old_value = "0.00"
    new_value = "100.00"
    old_display = "0.00"
    new_display = "100.00"

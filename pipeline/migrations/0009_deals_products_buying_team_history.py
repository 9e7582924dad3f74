import core.currencies
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_iso_country_codes"),
        ("pipeline", "0008_reopened_deals_back_in_pipeline"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BuyingRole",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=60, verbose_name="name")),
                (
                    "decides",
                    models.BooleanField(
                        default=False,
                        help_text="Counts as the decision maker a stage may ask for.",
                        verbose_name="decides",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
            ],
            options={
                "verbose_name": "buying role",
                "verbose_name_plural": "buying roles",
                "ordering": ["position", "name"],
            },
        ),
        migrations.CreateModel(
            name="DealChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("field", models.CharField(max_length=80, verbose_name="field")),
                ("old_value", models.JSONField(blank=True, null=True, verbose_name="old value")),
                ("new_value", models.JSONField(blank=True, null=True, verbose_name="new value")),
                ("old_display", models.CharField(blank=True, max_length=500, verbose_name="was")),
                (
                    "new_display",
                    models.CharField(blank=True, max_length=500, verbose_name="became"),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
            ],
            options={
                "verbose_name": "deal change",
                "verbose_name_plural": "deal changes",
                "ordering": ["at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="DealContact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("is_primary", models.BooleanField(default=False, verbose_name="primary")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="added at"
                    ),
                ),
            ],
            options={
                "verbose_name": "buying team member",
                "verbose_name_plural": "buying team",
                "ordering": ["opportunity", "-is_primary", "pk"],
            },
        ),
        migrations.CreateModel(
            name="LineItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "quantity",
                    models.DecimalField(decimal_places=2, max_digits=12, verbose_name="quantity"),
                ),
                (
                    "unit_price",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="unit price"),
                ),
                (
                    "discount",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0.00"),
                        max_digits=5,
                        verbose_name="discount (%)",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
            ],
            options={
                "verbose_name": "line item",
                "verbose_name_plural": "line items",
                "ordering": ["opportunity", "position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Product",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                (
                    "code",
                    models.CharField(
                        blank=True, help_text="SKU", max_length=50, verbose_name="code"
                    ),
                ),
                ("description", models.TextField(blank=True, verbose_name="description")),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "external_id",
                    models.CharField(blank=True, max_length=100, verbose_name="external id"),
                ),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="created at"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "product",
                "verbose_name_plural": "products",
                "ordering": ["name", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ProductPrice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        max_length=3,
                        validators=[core.currencies.validate_currency],
                        verbose_name="currency",
                    ),
                ),
                (
                    "unit_price",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="unit price"),
                ),
            ],
            options={
                "verbose_name": "product price",
                "verbose_name_plural": "product prices",
                "ordering": ["product", "currency"],
            },
        ),
        migrations.AlterField(
            model_name="opportunity",
            name="company",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="opportunities",
                to="contacts.company",
                verbose_name="company",
            ),
        ),
        migrations.AddConstraint(
            model_name="opportunity",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("company__isnull", False), ("contact__isnull", False), _connector="OR"
                ),
                name="opportunity_has_company_or_contact",
                violation_error_message="A deal needs a company or a contact.",
            ),
        ),
        migrations.AddConstraint(
            model_name="buyingrole",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("name"), name="buying_role_name_unique"
            ),
        ),
        migrations.AddField(
            model_name="dealchange",
            name="by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AddField(
            model_name="dealchange",
            name="opportunity",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="pipeline.opportunity",
                verbose_name="opportunity",
            ),
        ),
        migrations.AddField(
            model_name="dealcontact",
            name="contact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deal_roles",
                to="contacts.contact",
                verbose_name="contact",
            ),
        ),
        migrations.AddField(
            model_name="dealcontact",
            name="opportunity",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="buying_team",
                to="pipeline.opportunity",
                verbose_name="opportunity",
            ),
        ),
        migrations.AddField(
            model_name="dealcontact",
            name="role",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="pipeline.buyingrole",
                verbose_name="role",
            ),
        ),
        migrations.AddField(
            model_name="lineitem",
            name="opportunity",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="line_items",
                to="pipeline.opportunity",
                verbose_name="opportunity",
            ),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("code"),
                condition=models.Q(("code", ""), _negated=True),
                name="product_code_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id", ""), _negated=True),
                fields=("external_id",),
                name="product_external_id_unique",
            ),
        ),
        migrations.AddField(
            model_name="lineitem",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="line_items",
                to="pipeline.product",
                verbose_name="product",
            ),
        ),
        migrations.AddField(
            model_name="productprice",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="prices",
                to="pipeline.product",
                verbose_name="product",
            ),
        ),
        migrations.AddIndex(
            model_name="dealchange",
            index=models.Index(fields=["opportunity", "at"], name="deal_change_deal_idx"),
        ),
        migrations.AddConstraint(
            model_name="dealcontact",
            constraint=models.UniqueConstraint(
                fields=("opportunity", "contact"), name="deal_contact_once_per_deal"
            ),
        ),
        migrations.AddConstraint(
            model_name="dealcontact",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_primary", True)),
                fields=("opportunity",),
                name="deal_contact_one_primary",
            ),
        ),
        migrations.AddIndex(
            model_name="lineitem",
            index=models.Index(fields=["opportunity", "position"], name="line_item_deal_idx"),
        ),
        migrations.AddConstraint(
            model_name="lineitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)),
                name="line_item_quantity_positive",
                violation_error_message="Quantity must be more than 0.",
            ),
        ),
        migrations.AddConstraint(
            model_name="lineitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("unit_price__gte", 0)),
                name="line_item_price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
        ),
        migrations.AddConstraint(
            model_name="lineitem",
            constraint=models.CheckConstraint(
                condition=models.Q(("discount__gte", 0), ("discount__lte", 100)),
                name="line_item_discount_range",
                violation_error_message="A discount is between 0 and 100%.",
            ),
        ),
        migrations.AddConstraint(
            model_name="productprice",
            constraint=models.UniqueConstraint(
                fields=("product", "currency"), name="product_price_one_per_currency"
            ),
        ),
        migrations.AddConstraint(
            model_name="productprice",
            constraint=models.CheckConstraint(
                condition=models.Q(("unit_price__gte", 0)),
                name="product_price_not_negative",
                violation_error_message="A price cannot be negative.",
            ),
        ),
    ]

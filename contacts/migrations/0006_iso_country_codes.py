import core.countries
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0005_lead_list_and_cadence_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="company",
            name="country",
            field=models.CharField(
                blank=True,
                help_text="ISO code",
                max_length=2,
                validators=[core.countries.validate_country],
                verbose_name="country",
            ),
        ),
        migrations.AlterField(
            model_name="lead",
            name="country",
            field=models.CharField(
                blank=True,
                help_text="ISO code",
                max_length=2,
                validators=[core.countries.validate_country],
                verbose_name="country",
            ),
        ),
    ]

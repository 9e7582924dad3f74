import core.currencies
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("forecasting", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="quota",
            name="currency",
            field=models.CharField(
                default="EUR",
                max_length=3,
                validators=[core.currencies.validate_currency],
                verbose_name="currency",
            ),
        ),
    ]

import core.currencies
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("pipeline", "0006_stage_alerts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="opportunity",
            name="currency",
            field=models.CharField(
                default="EUR",
                max_length=3,
                validators=[core.currencies.validate_currency],
                verbose_name="currency",
            ),
        ),
    ]

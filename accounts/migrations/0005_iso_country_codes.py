import core.countries
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_notification_kind_job_failed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="territory",
            name="country",
            field=models.CharField(
                help_text="ISO code",
                max_length=2,
                validators=[core.countries.validate_country],
                verbose_name="country",
            ),
        ),
    ]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        # Contacts' pages and merges show and move pipeline's rows through the extension
        # points contacts offers (contacts/extensions.py), never by knowing pipeline.
        from pipeline import buying_team_pages, record_pages
        from pipeline.services import merges

        record_pages.register()
        buying_team_pages.register()
        merges.register()

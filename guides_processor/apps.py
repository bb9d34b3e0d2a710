from django.apps import AppConfig


class GuidesProcessorConfig(AppConfig):
    name = "guides_processor"
    verbose_name = "Guides Asset Processor"
    default_auto_field = "django.db.models.BigAutoField"

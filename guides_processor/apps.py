from django.apps import AppConfig


class GuidesProcessorConfig(AppConfig):
    name = "guides_processor"
    verbose_name = "Guides Asset Processor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        from .tasks import start_watchdog_thread

        post_spawn.connect(start_watchdog_thread, dispatch_uid="guides-watchdog-thread")

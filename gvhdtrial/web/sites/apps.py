from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "gvhdtrial.web.sites"
    label = "sites"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gvhdtrial.web.sites import accounts

        accounts.connect_signals()

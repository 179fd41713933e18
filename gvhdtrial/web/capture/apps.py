from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "gvhdtrial.web.capture"
    label = "capture"
    verbose_name = "Data capture (CRF tables, import, export)"

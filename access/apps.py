from django.apps import AppConfig


class AccessConfig(AppConfig):
    """Access management (Data Library > Access): a placeholder page until its checks land."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "access"
    verbose_name = "Access"

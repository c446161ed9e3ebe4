from django.apps import AppConfig


class DeletionAppConfig(AppConfig):
    name = "tests.admin_ext.deletionapp"
    label = "deletionapp"
    default_auto_field = "django.db.models.BigAutoField"

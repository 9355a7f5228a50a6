from django.apps import AppConfig


class OngsConfig(AppConfig):
    name = "ongs"

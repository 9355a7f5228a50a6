from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from core.demo import DEMO_PASSWORD, DemoLogin


class Command(BaseCommand):
    help = (
        "Load demo data (idempotent) and print the demo logins. Each Mutirão app may have a "
        "`demo.py` with `create_demo_data() -> list[DemoLogin]`; apps load in INSTALLED_APPS "
        "order, so companies exist before their orders."
    )

    def handle(self, *args, **options):
        logins: list[DemoLogin] = []
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                module_name = f"{app_config.name}.demo"
                if app_config.name == "core" or find_spec(module_name) is None:
                    continue
                logins += import_module(module_name).create_demo_data()

        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for all: {DEMO_PASSWORD})"))
        width = max((len(login.email) for login in logins), default=10)
        for login in logins:
            self.stdout.write(f"  {login.email.ljust(width)}  {login.role}")
        self.stdout.write("")

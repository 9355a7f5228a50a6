"""Shared pieces of the demo data that `manage.py seed_demo` loads for `make run`."""

from dataclasses import dataclass

DEMO_PASSWORD = "mutirao-demo-2026"  # printed by seed_demo; demo accounts only


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str

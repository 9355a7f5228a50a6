from django.apps import AppConfig


class BenchConfig(AppConfig):
    """The benchmark's management commands (`seed_bench`, `bench_inbound_email`); no models."""

    name = "bench"
    verbose_name = "Benchmark"

"""Test settings: the production settings with a test secret and in-process parts.

DATABASE_URL still decides the database, so `make test` runs on SQLite by default and CI
runs the same suite on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-for-the-suite-0123456789abcdef")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ["CELERY_BROKER_URL"] = ""  # tests run tasks eagerly unless they start a worker
os.environ.pop("CACHE_URL", None)
os.environ.pop("REDIS_URL", None)

from config.settings import *

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = BASE_DIR / ".test-media"
STATIC_ROOT = None  # static files come from the apps (WhiteNoise finders) in tests
WHITENOISE_USE_FINDERS = True
LANGUAGE_CODE = "en"

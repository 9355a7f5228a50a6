"""Mutirão settings, read from the environment (and from `.env` when present).

With no environment at all the project runs on a bare machine: SQLite, Celery tasks
run eagerly in-process and e-mail is printed to the console. Setting DATABASE_URL,
CELERY_BROKER_URL, CACHE_URL and EMAIL_URL switches to production parts. See the
table in README.md and `.env.example`.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=true for local development).")
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications -------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",  # its translations (401 messages in pt-BR)
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "axes",
    "django_celery_beat",
    "anymail",
    # Mutirão
    "core",
    "accounts",
    "companies",
    "equipment",  # a company's equipment registry
    "orders",
    "sla",  # business hours and service-level targets of orders
    "fieldservice",  # on-site visits and time spent on orders
    "desk",  # canned replies, satisfaction ratings, watchers
    "webhooks",  # outbound webhooks of order events
    "ongs",
    "events",
    "payments",
    "homes",
    "bench",  # the benchmark's seed and inbound commands (bench/, docs/performance.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout during admin login into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Fail fast instead of hanging when PostgreSQL is unreachable.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# --- Cache --------------------------------------------------------------------------------
CACHE_URL = env("CACHE_URL", default=env("REDIS_URL", default=""))
CACHES = {
    "default": env.cache_url_config(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Redis down is a cache miss, not a 500, and a hung Redis costs at most these timeouts
    # (see core/cache.py and "When a part fails" in docs/operations.md).
    CACHES["default"]["BACKEND"] = "core.cache.DegradingRedisCache"
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
        socket_timeout=env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
    )

# --- Passwords and authentication ---------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]

# django-axes: after repeated wrong passwords, lock that account from that IP (the pair, so
# an office behind one NAT is not locked out by one person; IPs are throttled on their own).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "accounts.backends.axes_lockout_response"
AXES_IPWARE_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("pt-br", _("Brazilian Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    # Uploaded files (attachments, photos); S3 and others: docs/operations.md#file-storage.
    "default": {
        "BACKEND": env(
            "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the apps' static folders when collectstatic has not run (make run).
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.SessionAwareJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    # Bodies are JSON; the one upload (a home's photo) declares multipart on its own view.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    # DRF's JSON through orjson (core/renderers.py: same output, a fraction of the time).
    "DEFAULT_RENDERER_CLASSES": [
        "core.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "core.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="20/min"),
        "login_email": env("THROTTLE_LOGIN_EMAIL", default="10/min"),
        "register": env("THROTTLE_REGISTER", default="10/hour"),
        "register_email": env("THROTTLE_REGISTER_EMAIL", default="5/hour"),
    },
    # Behind N trusted proxies; 0 means X-Forwarded-For is ignored, so it cannot be spoofed.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DATE_INPUT_FORMATS": ["iso-8601", "%d/%m/%Y"],
    "DATETIME_INPUT_FORMATS": ["iso-8601", "%d/%m/%Y %H:%M", "%d/%m/%Y"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Mutirão API",
    "DESCRIPTION": (
        "Service orders for companies, events and donations for NGOs, chores and bills "
        "for households. Log in at `POST /api/v1/auth/login`, then press Authorize and "
        "paste the `access` token."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    # The groups of Swagger UI, in the order a newcomer reads them.
    "TAGS": [
        {"name": "auth", "description": "Sign up, log in, rotate and end sessions (JWT)."},
        {"name": "users", "description": "Your profile, and the people you can see."},
        {"name": "companies", "description": "Companies, their members and their teams."},
        {
            "name": "orders",
            "description": "Service orders: open, take, assign, close, message, report.",
        },
        {
            "name": "inbound e-mail",
            "description": "Mail to a company's support address opens or joins an order.",
        },
        {
            "name": "sla",
            "description": "Service levels: business hours, holidays and targets per priority.",
        },
        {"name": "equipment", "description": "A company's equipment, its orders, CSV import."},
        {"name": "ongs", "description": "NGOs, their events, participants and withdrawals."},
        {"name": "events", "description": "NGO events, and registering for them."},
        {"name": "payments", "description": "Your cards and donations; an NGO's donations."},
        {
            "name": "homes",
            "description": "Households: members, rules, routines, tasks, bills, points.",
        },
        {"name": "health", "description": "Readiness for load balancers, and a bare ping."},
    ],
    # Operation ids, summaries, who may call what, error responses ({detail, code,
    # errors?}), page names and examples: all derived in one place, core/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.polish_operations",
        "core.schema.declare_error_responses",
        "core.schema.name_page_components",
        "core.schema.add_examples",
    ],
    # Several models have a `status` or `role`; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "TaskStatusEnum": "homes.models.Task.Status",
        "DonationStatusEnum": "payments.models.Donation.Status",
        "MembershipRoleEnum": "companies.models.Membership.Role",
        "HomeMemberRoleEnum": "homes.models.HomeMember.Role",
        "SlaClockStateEnum": "orders.api.serializers.SLA_CLOCK_STATES",
        "EquipmentEnum": "orders.models.Order.Equipment",  # an order's and an item's kind
        "EquipmentStatusEnum": "equipment.models.Equipment.Status",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# No broker configured: run tasks in-process, so `make run` needs nothing else.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when Redis is down: the outbox keeps the work.
# A message a worker took but never acknowledged (the worker was killed) goes back to the
# queue after `visibility_timeout` seconds. It must stay longer than the longest retry
# countdown (10 min, core.tasks.outbox_send) or a waiting retry would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_connect_timeout": 2,
    "socket_timeout": 10,
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often workers look for such messages (seconds): every 10 s x 10 by default.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
# Broker lost while a task runs: let the task finish (its ack is lost, so the message comes
# back, and the outbox row, already sent, is skipped) rather than cancel it mid-send.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "outbox-resend-pending": {"task": "core.tasks.outbox_flush", "schedule": 60.0},
}

# --- E-mail -------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
EMAIL_BACKEND = env("EMAIL_BACKEND", default=EMAIL_CONFIG["EMAIL_BACKEND"])
if env("EMAIL_FILE_PATH", default=""):  # with the file-based backend: one file per message
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Mutirão <no-reply@mutirao.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = env.dict("ANYMAIL", default={})
# Providers whose inbound webhook answers (docs/email.md), e.g. "postmark,mailgun"; each
# needs ANYMAIL's WEBHOOK_SECRET, and its signing key where the provider signs.
INBOUND_EMAIL_PROVIDERS = env.list("INBOUND_EMAIL_PROVIDERS", default=[])

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # An index's INCLUDE columns only matter to PostgreSQL; SQLite builds the index without.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Mutirão ------------------------------------------------------------------------------
# Where people reach this server (scheme and host, no trailing slash): links in e-mails and
# the demo logins. core.checks warns when a production server keeps the default.
SITE_URL_DEFAULT = "http://127.0.0.1:8000"
SITE_URL = env("SITE_URL", default=SITE_URL_DEFAULT).rstrip("/")
# A front-end's pages, as templates: `{id}` is the order's number, `{token}` the invitation's.
# Unset, e-mails link to the API's order and to this server's invitation page (core.links).
FRONTEND_ORDER_URL = env("FRONTEND_ORDER_URL", default="")
FRONTEND_INVITATION_URL = env("FRONTEND_INVITATION_URL", default="")

# Largest photo upload accepted (a person's, a home's), in bytes.
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=5 * 1024 * 1024)

# --- homes ---
# How long an e-mail invitation to someone without an account stays valid.
HOMES_INVITATION_DAYS = env.int("HOMES_INVITATION_DAYS", default=14)
# How long before a task is due its assignee gets a reminder.
HOMES_TASK_REMINDER_MINUTES = env.int("HOMES_TASK_REMINDER_MINUTES", default=120)
# Days a routine's penalty bill gives the debtor to pay.
HOMES_PENALTY_DUE_DAYS = env.int("HOMES_PENALTY_DUE_DAYS", default=7)
CELERY_BEAT_SCHEDULE["homes-routines-materialize"] = {
    "task": "homes.tasks.homes_materialize_routines",
    "schedule": 600.0,
}
CELERY_BEAT_SCHEDULE["homes-tasks-mark-overdue"] = {
    "task": "homes.tasks.homes_mark_overdue_tasks",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["homes-send-reminders"] = {
    "task": "homes.tasks.homes_send_reminders",
    "schedule": 600.0,
}

# --- sla ---
# How many business minutes before an SLA due time its people are warned (never before
# half the target has gone).
SLA_WARNING_MINUTES = env.int("SLA_WARNING_MINUTES", default=30)
CELERY_BEAT_SCHEDULE["sla-alert-due"] = {"task": "sla.tasks.sla_alert_due", "schedule": 60.0}

# --- ongs, events, payments ---
# Dotted path of the payment gateway class; the sandbox runs offline (see docs/payments.md).
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="payments.gateway.SandboxGateway")
# Key of the card fingerprint (HMAC-SHA256 of the number); derived from SECRET_KEY if empty.
PAYMENT_FINGERPRINT_KEY = env("PAYMENT_FINGERPRINT_KEY", default="")
DONATION_CURRENCY = env("DONATION_CURRENCY", default="BRL")
DONATION_MIN_AMOUNT = env("DONATION_MIN_AMOUNT", default="1.00")
DONATION_MAX_AMOUNT = env("DONATION_MAX_AMOUNT", default="50000.00")
WITHDRAWAL_MAX_AMOUNT = env("WITHDRAWAL_MAX_AMOUNT", default="1000000.00")
# Idempotency-Key records are kept this long, then purged by the beat task below.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["donations"] = env("THROTTLE_DONATIONS", default="30/hour")
CELERY_BEAT_SCHEDULE["payments-idempotency-purge"] = {
    "task": "core.tasks.idempotency_records_purge",
    "schedule": 3600.0,
}

# --- orders: e-mail channel ---
# Shared secret of the inbound webhook's HMAC signature; empty refuses every request.
INBOUND_EMAIL_SECRET = env("INBOUND_EMAIL_SECRET", default="")
# A signature older (or further ahead) than this is refused.
INBOUND_EMAIL_MAX_AGE_SECONDS = env.int("INBOUND_EMAIL_MAX_AGE_SECONDS", default=300)
# Largest webhook body, in bytes, and most messages in one JSON batch.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=30 * 1024 * 1024)
INBOUND_EMAIL_BATCH_MAX = env.int("INBOUND_EMAIL_BATCH_MAX", default=100)
# Larger attachments are recorded as skipped, not stored.
INBOUND_EMAIL_ATTACHMENT_MAX_BYTES = env.int(
    "INBOUND_EMAIL_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024
)

# Automatic e-mails (notifications, acknowledgements) to one address per hour; more are
# recorded as suppressed, so an auto-responder cannot keep a loop going.
EMAIL_AUTOMATIC_MAX_PER_HOUR = env.int("EMAIL_AUTOMATIC_MAX_PER_HOUR", default=30)
# --- desk ---
# Days a satisfaction e-mail's rating link stays valid.
CSAT_LINK_MAX_AGE_DAYS = env.int("CSAT_LINK_MAX_AGE_DAYS", default=30)
CELERY_BEAT_SCHEDULE["orders-inbound-signatures-purge"] = {
    "task": "orders.tasks.inbound_signatures_purge",
    "schedule": 3600.0,
}

# --- equipment: CSV import ---
# Largest import file, in bytes, and most data rows in one file.
EQUIPMENT_IMPORT_MAX_BYTES = env.int("EQUIPMENT_IMPORT_MAX_BYTES", default=2 * 1024 * 1024)
EQUIPMENT_IMPORT_MAX_ROWS = env.int("EQUIPMENT_IMPORT_MAX_ROWS", default=5000)
# --- orders: attachments ---
# Largest file uploaded to an order, in bytes (413 above it).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Types an upload may have; each also needs the extension and content of its type
# (orders/files.py KINDS lists the ones known).
ATTACHMENT_ALLOWED_TYPES = env.list(
    "ATTACHMENT_ALLOWED_TYPES",
    default=[
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    ],
)
# With FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage (pip install -e ".[s3]"):
# the bucket, and for S3-compatible services their region and endpoint. Credentials come
# from the environment boto3 reads (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or the role.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
AWS_LOCATION = env("AWS_LOCATION", default="")  # a prefix for every key
AWS_DEFAULT_ACL = None  # private objects: files are served only through the API
AWS_QUERYSTRING_AUTH = True
AWS_S3_FILE_OVERWRITE = False
# --- webhooks (docs/orders.md, "Webhooks") ---
# Plain-http endpoint URLs; never in production.
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
# Endpoints on loopback or private addresses; only for tests delivering to a local server.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Seconds to connect and to wait for the answer of one delivery attempt.
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=10.0)
# A delivery is retried with backoff until this many hours after its event, then failed.
WEBHOOKS_RETRY_HOURS = env.int("WEBHOOKS_RETRY_HOURS", default=24)
# Days a finished delivery stays in its endpoint's log.
WEBHOOKS_LOG_DAYS = env.int("WEBHOOKS_LOG_DAYS", default=30)
CELERY_BEAT_SCHEDULE["webhooks-purge-log"] = {
    "task": "webhooks.tasks.webhook_deliveries_purge",
    "schedule": 86400.0,
}
CELERY_BEAT_SCHEDULE["webhooks-send-due"] = {
    "task": "webhooks.tasks.webhook_deliveries_send_due",
    "schedule": 60.0,
}
SPECTACULAR_SETTINGS["TAGS"].append(
    {"name": "webhooks", "description": "Signed POSTs of order events to a company's URLs."}
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(
    {
        "WebhookDeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
        "WebhookEventEnum": "webhooks.models.WebhookEvent",
    }
)

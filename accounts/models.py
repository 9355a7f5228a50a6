import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


def user_photo_path(instance: "User", filename: str) -> str:
    """A fresh random name per upload: the client's file name is not kept (it may say more
    than the photo), and a replaced photo never stays reachable under the new one's URL."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"jpg", "jpeg", "png", "webp", "gif"}:
        extension = "img"
    return f"users/photos/{uuid.uuid4().hex}.{extension}"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email: str) -> str:
        # E-mail addresses are matched case-insensitively, so they are stored lower-case.
        return (email or "").strip().lower()

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin, TimeStampedModel):
    """A person. Logs in with e-mail; roles live in memberships, never on the token."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        PORTUGUESE = "pt-br", "Português (Brasil)"

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    position = models.CharField(_("position"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    photo = models.ImageField(_("photo"), upload_to=user_photo_path, null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False)
    deactivated_by_owner = models.BooleanField(
        _("deactivated by its owner"),
        default=False,
        help_text=_("The person closed the account; logging in again reactivates it."),
    )
    # Part of every token; bumping it ends every session at once (logout-all, new password).
    session_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["id"]
        # Stored lower-case (checked here), so the unique index is case-insensitive.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="user_email_lowercase"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from orders.models import Order


class Equipment(TimeStampedModel):
    """One piece of a company's equipment, which service orders may point at.

    Its kind is one of the order's equipment kinds (`Order.Equipment`): one list for both,
    so an order's kind and the kind of the item it points at always read the same. A serial
    number or a patrimony tag, when given, is unique in its company whatever its case."""

    Kind = Order.Equipment

    class Status(models.TextChoices):
        IN_USE = "in_use", _("in use")  # working where it is installed
        IN_REPAIR = "in_repair", _("in repair")  # out of service, being repaired
        RETIRED = "retired", _("retired")  # out of the park for good; kept for its history

    # The company leads the unique constraints and indexes below, which serve its joins.
    company = models.ForeignKey(
        "companies.Company",
        on_delete=models.PROTECT,
        related_name="equipment",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    # Blank allowed: cables, UPS units and old monitors often carry no readable serial;
    # the patrimony tag identifies them instead.
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    patrimony_tag = models.CharField(_("patrimony tag"), max_length=50, blank=True)
    site_address = models.CharField(_("site address"), max_length=300, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_USE
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                "company",
                Lower("serial_number"),
                condition=~models.Q(serial_number=""),
                name="equipment_unique_serial_per_company",
                violation_error_message=_("This company already has this serial number."),
            ),
            models.UniqueConstraint(
                "company",
                Lower("patrimony_tag"),
                condition=~models.Q(patrimony_tag=""),
                name="equipment_unique_tag_per_company",
                violation_error_message=_("This company already has this patrimony tag."),
            ),
        ]
        indexes = [
            # The list filters: a company's items of a kind, or in a status, in id order.
            models.Index(fields=["company", "kind", "id"], name="equipment_company_kind_idx"),
            models.Index(fields=["company", "status", "id"], name="equipment_company_status_idx"),
            models.Index(fields=["company", "id"], name="equipment_company_id_idx"),
        ]

    def __str__(self) -> str:
        label = " ".join(part for part in (self.brand, self.model) if part) or self.kind
        identifier = self.serial_number or self.patrimony_tag
        return f"{label} ({identifier})" if identifier else label

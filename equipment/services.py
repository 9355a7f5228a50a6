"""Every change to the equipment registry. Each runs in one transaction; writes need an
admin or agent of the item's company (or staff) and an active company. Serial numbers and
patrimony tags are unique per company whatever their case: checked here to answer on the
field, and held by the database's constraints when two requests race."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from companies.models import Company
from companies.selectors import STAFF_ROLES, membership_role
from companies.services import company_require_active
from core.exceptions import Conflict, DomainError, FieldError, Forbidden
from core.services import model_update
from equipment.models import Equipment
from equipment.selectors import OPEN_STATUSES
from orders.models import Order

EDITABLE_FIELDS = (
    "kind",
    "brand",
    "model",
    "serial_number",
    "patrimony_tag",
    "site_address",
    "room",
    "notes",
)
# Fields unique per company (when not blank), with the message of a duplicate.
UNIQUE_FIELDS = {
    "serial_number": _("This company already has equipment with this serial number."),
    "patrimony_tag": _("This company already has equipment with this patrimony tag."),
}
IMPORT_BATCH_SIZE = 500


class ImportRejected(DomainError):
    """A file with at least one bad row: nothing is stored, `rows` says what to fix."""

    default_code = "invalid_rows"
    default_message = _("Nothing was imported: fix the rows listed and send the file again.")


@dataclass
class ImportRow:
    """One data row of an import file: its number in the file (the header is row 1), the
    values its serializer accepted and the errors it found (field → messages)."""

    number: int
    data: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)


def equipment_require_manager(*, actor: User, company: Company) -> None:
    """Admins and agents of the company manage its equipment; staff manage all (else
    403). A check, not a write: the import asks it before reading a file."""
    if actor.is_staff:
        return
    if membership_role(actor, company.pk) not in STAFF_ROLES:
        raise Forbidden(_("Only the company's admins and agents manage its equipment."))


def _taken(company: Company, name: str, values: Iterable[str], exclude_pk=None) -> set[str]:
    """Which of `values` (lower case) the company's other items already use as `name`."""
    wanted = {value.lower() for value in values if value}
    if not wanted:
        return set()
    items = Equipment.objects.filter(company=company).exclude(pk=exclude_pk)
    # Compared through the same Lower() expression as the unique index, which serves it.
    return set(
        items.annotate(normalized=Lower(name))
        .filter(normalized__in=wanted)
        .values_list("normalized", flat=True)
    )


def _check_unique(company: Company, data: dict[str, Any], exclude_pk=None) -> None:
    for name, message in UNIQUE_FIELDS.items():
        if _taken(company, name, [data.get(name, "")], exclude_pk):
            raise FieldError(name, message, code="unique")


def _save_unique(save) -> None:
    """Run `save` in a savepoint; a unique constraint it hits (another request stored the
    same serial or tag meanwhile) is the same 400 the check above gives."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        name = "patrimony_tag" if "equipment_unique_tag" in str(exc) else "serial_number"
        raise FieldError(name, UNIQUE_FIELDS[name], code="unique") from exc


@transaction.atomic
def equipment_create(*, actor: User, company: Company, **data: Any) -> Equipment:
    """Register a piece of equipment of the company, in use."""
    equipment_require_manager(actor=actor, company=company)
    company_require_active(company)
    _check_unique(company, data)
    item = Equipment(company=company, **data)
    _save_unique(item.save)
    return item


@transaction.atomic
def equipment_update(*, item: Equipment, data: dict[str, Any]) -> Equipment:
    """Edit what the item is and where it stands; status changes through
    `equipment_set_status`."""
    company_require_active(item.company)
    item = _lock(item)
    _check_unique(item.company, {name: data.get(name, "") for name in UNIQUE_FIELDS}, item.pk)
    _save_unique(lambda: model_update(instance=item, data=data, fields=EDITABLE_FIELDS))
    return item


@transaction.atomic
def equipment_set_status(*, item: Equipment, status: str) -> Equipment:
    """Put the item in use, in repair, or retire it. An item with an order still open or
    in progress cannot be retired (409 `equipment_has_open_orders`): its orders come
    first. The row lock makes this and an order pointing at the item at once wait for each
    other (`equipment_check_for_order` takes the same lock)."""
    company_require_active(item.company)
    item = _lock(item)
    if status == Equipment.Status.RETIRED and _has_open_orders(item):
        raise Conflict(
            _("Close the orders of this equipment before retiring it."),
            code="equipment_has_open_orders",
        )
    model_update(instance=item, data={"status": status}, fields=["status"])
    return item


@transaction.atomic
def equipment_delete(*, item: Equipment) -> None:
    """Delete an item that no order ever pointed at; one with orders keeps their history:
    409 `equipment_has_orders` (retire it instead)."""
    company_require_active(item.company)
    item = _lock(item)
    if Order.objects.filter(equipment_item=item).exists():
        raise Conflict(
            _("Orders point at this equipment: retire it instead of deleting it."),
            code="equipment_has_orders",
        )
    item.delete()


@transaction.atomic
def equipment_import(*, actor: User, company: Company, rows: Sequence[ImportRow]) -> int:
    """Create every row of an import file, or none. Rows are checked as a POST body is (by
    the caller, into `ImportRow.errors`), then against each other and the company's
    equipment: a serial number or patrimony tag twice in the file, or already the
    company's, is an error of that row. Any error: `ImportRejected` with every bad row,
    nothing stored. Returns how many items were created."""
    equipment_require_manager(actor=actor, company=company)
    company_require_active(company)
    _mark_duplicates(company, rows)
    report = [{"row": row.number, "errors": row.errors} for row in rows if row.errors]
    if report:
        raise ImportRejected(rows=report)
    items = [Equipment(company=company, **row.data) for row in rows]
    try:
        with transaction.atomic():
            Equipment.objects.bulk_create(items, batch_size=IMPORT_BATCH_SIZE)
    except IntegrityError as exc:
        raise Conflict(
            _(
                "Equipment with the same serial number or tag was stored meanwhile; send the "
                "file again to see which rows."
            ),
            code="equipment_changed",
        ) from exc
    return len(items)


def _mark_duplicates(company: Company, rows: Sequence[ImportRow]) -> None:
    for name, message in UNIQUE_FIELDS.items():
        values = [row.data.get(name, "") for row in rows if not row.errors]
        taken = _taken(company, name, values)
        first_row: dict[str, int] = {}
        for row in rows:
            value = (row.data.get(name) or "").lower()
            if not value:
                continue
            if value in taken:
                row.errors.setdefault(name, []).append(str(message))
            elif value in first_row:
                again = _("The same value is on row %(row)d.") % {"row": first_row[value]}
                row.errors.setdefault(name, []).append(str(again))
            else:
                first_row[value] = row.number


def equipment_check_for_order(*, company: Company, item: Equipment) -> Equipment:
    """The item an order of `company` may point at: the company's own, not retired
    (else a 400 on `equipment_item`). Locks the item's row, so that it is not retired or
    deleted while the order is written. Called inside the order's transaction."""
    locked = Equipment.objects.select_for_update().filter(pk=item.pk).first()
    if locked is None or locked.company_id != company.pk:
        raise FieldError("equipment_item", _("Choose equipment of the order's company."))
    if locked.status == Equipment.Status.RETIRED:
        raise FieldError("equipment_item", _("This equipment is retired."), code="retired")
    return locked


def _lock(item: Equipment) -> Equipment:
    """Reload the item under a row lock."""
    return (
        Equipment.objects.select_for_update(of=("self",)).select_related("company").get(pk=item.pk)
    )


def _has_open_orders(item: Equipment) -> bool:
    return Order.objects.filter(equipment_item=item, status__in=OPEN_STATUSES).exists()

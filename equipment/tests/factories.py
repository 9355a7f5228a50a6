import factory

from companies.tests.factories import CompanyFactory
from equipment.models import Equipment


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment

    company = factory.SubFactory(CompanyFactory)
    kind = Equipment.Kind.PRINTER
    brand = "HP"
    model = factory.Sequence(lambda n: f"LaserJet M{400 + n}")
    serial_number = factory.Sequence(lambda n: f"BRB{n:06d}")
    patrimony_tag = factory.Sequence(lambda n: f"PAT-{n:04d}")
    site_address = "Av. Paulista, 1000"
    room = "204"

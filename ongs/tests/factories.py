import factory

from accounts.tests.factories import UserFactory
from ongs.models import Ong


class OngFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ong
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"NGO {n:03d}")
    description = "Helping people."
    cause = Ong.Cause.SOCIAL
    email = factory.Sequence(lambda n: f"contact{n}@ngo.example")
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def admins(self, create, extracted, **kwargs):
        if create and extracted:
            self.admins.set(extracted)

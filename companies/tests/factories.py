import factory
from validate_docbr import CNPJ

from accounts.tests.factories import UserFactory
from companies.models import Company, Membership, Team

_cnpj = CNPJ()


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    cnpj = factory.Sequence(lambda n: _cnpj.generate())
    legal_name = factory.Sequence(lambda n: f"Company {n} Ltda")
    trading_name = factory.Sequence(lambda n: f"Company {n}")
    support_email = factory.Sequence(lambda n: f"support{n}@company{n}.example")
    is_active = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.REQUESTER


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def agents(self, create, extracted, **kwargs):
        if create and extracted:
            self.agents.set(extracted)

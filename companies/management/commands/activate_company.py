from django.core.management.base import BaseCommand, CommandError

from companies.cnpj import cnpj_format, cnpj_normalize
from companies.models import Company
from companies.services import company_set_active


class Command(BaseCommand):
    help = "Activate a company by its CNPJ (with or without punctuation)."

    def add_arguments(self, parser):
        parser.add_argument("cnpj")

    def handle(self, *args, cnpj: str, **options):
        company = Company.objects.filter(cnpj=cnpj_normalize(cnpj)).first()
        if company is None:
            raise CommandError(f"No company has the CNPJ {cnpj_format(cnpj)}.")
        company_set_active(company=company, is_active=True)
        self.stdout.write(self.style.SUCCESS(f"{company} ({company.cnpj_formatted}) is active."))

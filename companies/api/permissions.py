from companies.models import Company
from companies.selectors import membership_role
from core.permissions import RolePermission


class CompanyRolePermission(RolePermission):
    """Reads the user's role in the company the object belongs to (a Company, Team or
    Membership), from the database."""

    def roles_on(self, request, obj):
        company_id = obj.pk if isinstance(obj, Company) else obj.company_id
        role = membership_role(request.user, company_id)
        return {role} if role else set()

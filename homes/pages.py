"""The page an invitation e-mail links to: a person accepts by clicking, not only by a POST.

Opening the link changes nothing (mail scanners open links); the page asks the invited
person for their password, or for a name and password when the address has no account
yet, and accepting is a POST from that form (CSRF-protected). The API's
`POST homes/invitations/{token}/accept` stays for front-ends.
"""

from django import forms
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import User
from accounts.services import user_register
from core.exceptions import DomainError, FieldError
from homes import selectors, services
from homes.models import HomeInvitation

TEMPLATE = "homes/invitation_page.html"


class InvitationAcceptForm(forms.Form):
    """The invited person's password; with no account yet, also their name."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), max_length=128, widget=forms.PasswordInput)

    def __init__(self, *args, invitation: HomeInvitation, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation
        self.request = request
        self.account = User.objects.filter(email__iexact=invitation.email).first()
        self.is_locked = False
        if self.account is None:
            self.fields["name"].required = True
        else:
            del self.fields["name"]

    def clean(self) -> dict:
        data = super().clean()
        if self.account is None or "password" not in data:
            return data
        user = authenticate(self.request, email=self.invitation.email, password=data["password"])
        if getattr(self.request, "axes_locked_out", False):
            self.is_locked = True
            raise forms.ValidationError(
                _("Too many failed logins. The account is locked for a while; try later.")
            )
        if user is None:
            raise forms.ValidationError(
                _("Wrong password for %(email)s.") % {"email": self.account.email}
            )
        if not user.is_active:
            raise forms.ValidationError(_("This account has been disabled. Contact support."))
        self.account = user
        return data

    def accept(self, token: str):
        """Join the home, creating the account first when there is none."""
        with transaction.atomic():
            user = self.account or user_register(
                email=self.invitation.email,
                password=self.cleaned_data["password"],
                name=self.cleaned_data["name"],
            )
            return services.invitation_accept(user=user, token=token)


class InvitationPageView(View):
    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = selectors.invitation_get_pending(token)
        if invitation is None:
            return render(request, TEMPLATE, {"gone": True}, status=404)
        form = InvitationAcceptForm(invitation=invitation, request=request)
        return render(request, TEMPLATE, {"invitation": invitation, "form": form})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        invitation = selectors.invitation_get_pending(token)
        if invitation is None:
            return render(request, TEMPLATE, {"gone": True}, status=404)
        form = InvitationAcceptForm(request.POST, invitation=invitation, request=request)
        if form.is_valid():
            try:
                member = form.accept(token)
            except FieldError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return render(request, TEMPLATE, {"joined": member.home})
        status = 429 if form.is_locked else 400
        context = {"invitation": invitation, "form": form}
        return render(request, TEMPLATE, context, status=status)

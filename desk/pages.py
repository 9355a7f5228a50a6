"""The page a satisfaction e-mail links to: the requester rates without logging in.

The link's signed token names the order and its requester; opening it changes nothing
(mail scanners open links), rating is a POST from the page's form (CSRF-protected). An
order is rated once, whichever way: the API's `POST orders/{id}/rating` stays for
front-ends. An expired link is a 400 page, a tampered one a 404, a rated order a 409.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from core.exceptions import Conflict, DomainError, FieldError, NotFound
from desk import services
from desk.models import SatisfactionRating
from orders.models import Order

TEMPLATE = "desk/rating_page.html"
SCORES = [(score, str(score)) for score in range(5, 0, -1)]


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How happy are you with how your request was handled?"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RatingPageView(View):
    def _order(self, request: HttpRequest, token: str) -> Order | HttpResponse:
        """The order the link names, or the page that says why it cannot be rated."""
        try:
            order = services.satisfaction_token_read(token)
        except services.LinkExpired:
            return render(request, TEMPLATE, {"expired": True}, status=400)
        except NotFound:
            return render(request, TEMPLATE, {"gone": True}, status=404)
        if SatisfactionRating.objects.filter(order=order).exists():
            return render(request, TEMPLATE, {"rated": True, "order": order}, status=409)
        if order.status != Order.Status.CLOSED:
            return render(request, TEMPLATE, {"not_closed": True, "order": order}, status=409)
        return order

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        order = self._order(request, token)
        if isinstance(order, HttpResponse):
            return order
        return render(request, TEMPLATE, {"order": order, "form": RatingForm()})

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        order = self._order(request, token)
        if isinstance(order, HttpResponse):
            return order
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                services.satisfaction_rate(
                    order=order, rated_by=order.requester, **form.cleaned_data
                )
            except Conflict as error:
                context = {"rated": error.code == "already_rated", "order": order}
                if not context["rated"]:
                    context["not_closed"] = True
                return render(request, TEMPLATE, context, status=409)
            except FieldError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                return render(request, TEMPLATE, {"thanks": True, "order": order})
        return render(request, TEMPLATE, {"order": order, "form": form}, status=400)

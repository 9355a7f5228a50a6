import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from companies.tests.factories import TeamFactory
from desk.models import SatisfactionRating
from desk.services import satisfaction_token, satisfaction_token_read
from orders.models import Order
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
LINK_RE = re.compile(r"http://testserver/rate/(?P<token>[^/\s]+)/")


def rating_url(order):
    return f"/api/v1/orders/{order.pk}/rating"


def close(client, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/orders/{order.pk}/close", {"solution": "New fuser."})
    assert response.status_code == 200
    return response


def rating_link_of(email) -> str:
    return LINK_RE.search(email.body)["token"]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "http://testserver"


def test_closing_asks_the_requester_for_a_rating_in_their_language(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    tenant.requester.language = "pt-br"
    tenant.requester.save()

    close(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
    )

    asks = [m for m in mail.outbox if "/rate/" in m.body]
    assert [m.to for m in asks] == [[tenant.requester.email]]
    assert asks[0].subject.startswith(f"[#{in_progress_order.pk}] ")
    assert "Como" in asks[0].subject or "Como" in asks[0].body  # Portuguese
    assert satisfaction_token_read(rating_link_of(asks[0])) == in_progress_order


def test_the_link_page_shows_a_form_and_stores_one_rating(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks
):
    close(
        client_for(in_progress_order.assignee),
        in_progress_order,
        django_capture_on_commit_callbacks,
    )
    token = rating_link_of(next(m for m in mail.outbox if "/rate/" in m.body))
    browser = Client(enforce_csrf_checks=True)

    page = browser.get(f"/rate/{token}/")
    csrf = page.cookies["csrftoken"].value
    rated = browser.post(
        f"/rate/{token}/", {"score": "4", "comment": "Good", "csrfmiddlewaretoken": csrf}
    )
    again = browser.post(f"/rate/{token}/", {"score": "1", "csrfmiddlewaretoken": csrf})
    reopened_page = browser.get(f"/rate/{token}/")

    assert page.status_code == 200
    assert b'name="score"' in page.content
    assert rated.status_code == 200
    assert b"Thank you" in rated.content
    assert again.status_code == 409
    assert reopened_page.status_code == 409
    rating = SatisfactionRating.objects.get()
    assert (rating.order, rating.score, rating.comment, rating.rated_by) == (
        in_progress_order,
        4,
        "Good",
        tenant.requester,
    )
    assert (rating.team, rating.agent) == (tenant.team, in_progress_order.assignee)


def test_the_page_refuses_a_post_without_csrf(closed_order):
    response = Client(enforce_csrf_checks=True).post(
        f"/rate/{satisfaction_token(closed_order)}/", {"score": "5"}
    )

    assert response.status_code == 403
    assert SatisfactionRating.objects.count() == 0


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_bad_score_on_the_page_is_400_and_nothing_is_stored(client, closed_order, score):
    response = client.post(f"/rate/{satisfaction_token(closed_order)}/", {"score": score})

    assert response.status_code == 400
    assert SatisfactionRating.objects.count() == 0


def test_a_tampered_link_is_a_404_page_and_an_expired_one_a_400_page(
    client, closed_order, settings
):
    token = satisfaction_token(closed_order)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    settings.CSAT_LINK_MAX_AGE_DAYS = 30

    bad = client.get(f"/rate/{tampered}/")
    nonsense = client.post("/rate/nonsense/", {"score": "5"})
    with freeze_time(timezone.now() + timedelta(days=31)):
        expired = client.post(f"/rate/{token}/", {"score": "5"})

    assert (bad.status_code, nonsense.status_code, expired.status_code) == (404, 404, 400)
    assert b"not valid" in bad.content
    assert b"expired" in expired.content
    assert SatisfactionRating.objects.count() == 0


def test_the_requester_rates_through_the_api_once(client_for, tenant, closed_order):
    client = client_for(tenant.requester)

    first = client.post(rating_url(closed_order), {"score": 5, "comment": "Great"})
    second = client.post(rating_url(closed_order), {"score": 1})
    read = client_for(tenant.agent).get(rating_url(closed_order))

    assert first.status_code == 201
    body = first.json()
    assert body == {
        "order": closed_order.pk,
        "score": 5,
        "comment": "Great",
        "rated_by": {"id": tenant.requester.pk, "name": tenant.requester.name},
        "team": {"id": tenant.team.pk, "name": tenant.team.name},
        "agent": {"id": closed_order.assignee.pk, "name": closed_order.assignee.name},
        "created_at": body["created_at"],
    }
    assert second.status_code == 409
    assert second.json()["code"] == "already_rated"
    assert read.status_code == 200
    assert read.json() == body
    assert SatisfactionRating.objects.get().score == 5


def test_a_reopened_and_closed_again_order_keeps_its_first_rating_and_is_not_asked_again(
    client_for, tenant, closed_order, django_capture_on_commit_callbacks
):
    client_for(tenant.requester).post(rating_url(closed_order), {"score": 2})
    client_for(tenant.requester).post(f"/api/v1/orders/{closed_order.pk}/reopen")
    mail.outbox.clear()

    close(client_for(closed_order.assignee), closed_order, django_capture_on_commit_callbacks)

    assert not [m for m in mail.outbox if "/rate/" in m.body]
    assert SatisfactionRating.objects.get().score == 2


def test_only_a_closed_order_is_rated(client_for, tenant, order):
    response = client_for(tenant.requester).post(rating_url(order), {"score": 5})

    assert response.status_code == 409
    assert response.json()["code"] == "order_not_closed"
    assert SatisfactionRating.objects.count() == 0


@pytest.mark.parametrize("who", ["admin", "agent", "lead"])
def test_only_the_requester_rates(client_for, tenant, closed_order, who):
    response = client_for(getattr(tenant, who)).post(rating_url(closed_order), {"score": 5})

    assert response.status_code == 403
    assert SatisfactionRating.objects.count() == 0


def test_staff_may_not_rate_for_the_requester(staff_client, closed_order):
    response = staff_client.post(rating_url(closed_order), {"score": 5})

    assert response.status_code == 403
    assert response.json()["code"] == "not_requester"


def test_another_companys_order_is_404(client_for, other_tenant, closed_order):
    client = client_for(other_tenant.admin)

    assert client.get(rating_url(closed_order)).status_code == 404
    assert client.post(rating_url(closed_order), {"score": 5}).status_code == 404


def test_an_unrated_order_is_404_not_rated(client_for, tenant, closed_order):
    response = client_for(tenant.requester).get(rating_url(closed_order))

    assert response.status_code == 404
    assert response.json()["code"] == "not_rated"


@pytest.mark.parametrize(
    "body",
    [{}, {"score": 0}, {"score": 6}, {"score": "five"}, {"score": 3.5}, {"score": 5, "agent": 1}],
)
def test_bad_input_is_400_and_nothing_is_stored(client_for, tenant, closed_order, body):
    response = client_for(tenant.requester).post(rating_url(closed_order), body, format="json")

    assert response.status_code == 400
    assert SatisfactionRating.objects.count() == 0


def test_stats_show_the_mean_and_count_per_team_and_agent(
    client_for, tenant, assignee, django_assert_max_num_queries
):
    other_team = TeamFactory(company=tenant.company, name="Zeta")
    for team, agent, score in [
        (tenant.team, assignee, 5),
        (tenant.team, assignee, 4),
        (tenant.team, tenant.agent, 2),
        (other_team, tenant.agent, 3),
    ]:
        order = OrderFactory(
            company=tenant.company,
            requester=tenant.requester,
            team=team,
            assignee=agent,
            status=Order.Status.CLOSED,
            solution="Done",
        )
        SatisfactionRating.objects.create(
            order=order, score=score, rated_by=tenant.requester, team=team, agent=agent
        )
    client = client_for(tenant.admin)

    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/orders/stats")

    by_agent = sorted(
        [
            {"agent": assignee.pk, "name": assignee.name, "count": 2, "mean": 4.5},
            {"agent": tenant.agent.pk, "name": tenant.agent.name, "count": 2, "mean": 2.5},
        ],
        key=lambda row: row["name"],
    )
    assert response.json()["satisfaction"] == {
        "count": 4,
        "mean": 3.5,
        "by_team": [
            {"team": tenant.team.pk, "name": tenant.team.name, "count": 3, "mean": 3.67},
            {"team": other_team.pk, "name": "Zeta", "count": 1, "mean": 3.0},
        ],
        "by_agent": by_agent,
    }
    assert (
        client_for(tenant.agent)
        .get("/api/v1/orders/stats", {"team": other_team.pk})
        .json()["satisfaction"]["count"]
        == 1
    )

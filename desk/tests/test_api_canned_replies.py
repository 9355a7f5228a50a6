import pytest
from django.core import mail

from companies.models import Membership
from companies.tests.factories import MembershipFactory, TeamFactory
from desk.models import CannedReply
from desk.tests.factories import CannedReplyFactory
from orders.models import Message

pytestmark = pytest.mark.django_db
URL = "/api/v1/canned-replies"


def detail(reply):
    return f"{URL}/{reply.pk}"


@pytest.fixture
def replies(tenant):
    """A company-wide reply, one of the tenant's team, and one of another team."""
    other_team = TeamFactory(company=tenant.company)
    return (
        CannedReplyFactory(company=tenant.company, title="Welcome"),
        CannedReplyFactory(company=tenant.company, team=tenant.team, title="On my way"),
        CannedReplyFactory(company=tenant.company, team=other_team, title="Finance only"),
    )


def titles(response):
    return [row["title"] for row in response.json()["results"]]


def test_an_agent_lists_the_company_wide_replies_and_their_teams(client_for, tenant, replies):
    response = client_for(tenant.agent).get(URL)

    assert response.status_code == 200
    assert titles(response) == ["On my way", "Welcome"]
    team_reply = response.json()["results"][0]
    assert team_reply == {
        "id": replies[1].pk,
        "company": {"id": tenant.company.pk, "name": str(tenant.company)},
        "team": {"id": tenant.team.pk, "name": tenant.team.name},
        "title": "On my way",
        "body": replies[1].body,
        "created_by": None,
        "created_at": team_reply["created_at"],
        "updated_at": team_reply["updated_at"],
    }


def test_an_admin_lists_every_reply_of_the_company_and_filters(client_for, tenant, replies):
    client = client_for(tenant.admin)

    assert titles(client.get(URL)) == ["Finance only", "On my way", "Welcome"]
    assert titles(client.get(URL, {"team": tenant.team.pk})) == ["On my way"]
    assert titles(client.get(URL, {"search": "welc"})) == ["Welcome"]


def test_another_companys_replies_stay_out_of_lists_and_details(
    client_for, tenant, other_tenant, replies
):
    theirs = CannedReplyFactory(company=other_tenant.company, title="Theirs")
    client = client_for(tenant.admin)

    assert "Theirs" not in titles(client.get(URL))
    assert titles(client.get(URL, {"company": other_tenant.company.pk})) == []
    assert client.get(detail(theirs)).status_code == 404
    assert client.patch(detail(theirs), {"title": "Mine"}).status_code == 404
    assert client.delete(detail(theirs)).status_code == 404
    assert CannedReply.objects.get(pk=theirs.pk).title == "Theirs"


def test_requesters_may_not_list_read_or_add_replies(client_for, tenant, replies):
    client = client_for(tenant.requester)
    body = {"company": tenant.company.pk, "title": "Mine", "body": "Hi"}

    assert client.get(URL).status_code == 403
    assert client.get(detail(replies[0])).status_code == 403
    assert client.post(URL, body).status_code == 403
    assert not CannedReply.objects.filter(title="Mine").exists()


def test_an_agent_reads_their_teams_reply_but_not_another_teams_nor_edits(
    client_for, tenant, replies
):
    client = client_for(tenant.agent)

    assert client.get(detail(replies[1])).status_code == 200
    assert client.get(detail(replies[2])).status_code == 403
    assert client.patch(detail(replies[1]), {"title": "Changed"}).status_code == 403
    assert client.delete(detail(replies[0])).status_code == 403
    assert CannedReply.objects.filter(title="On my way").exists()


def test_an_admin_adds_a_company_wide_reply(client_for, tenant):
    response = client_for(tenant.admin).post(
        URL, {"company": tenant.company.pk, "title": "Thanks", "body": "Thanks, {requester_name}!"}
    )

    assert response.status_code == 201
    reply = CannedReply.objects.get()
    assert (reply.company, reply.team, reply.title, reply.body, reply.created_by) == (
        tenant.company,
        None,
        "Thanks",
        "Thanks, {requester_name}!",
        tenant.admin,
    )
    assert response.json()["id"] == reply.pk


def test_a_lead_manages_their_teams_replies_only(client_for, tenant, replies):
    client = client_for(tenant.lead)

    created = client.post(
        URL, {"company": tenant.company.pk, "team": tenant.team.pk, "title": "Lead's", "body": "x"}
    )
    company_wide = client.post(URL, {"company": tenant.company.pk, "title": "Nope", "body": "x"})
    edited = client.patch(detail(replies[1]), {"body": "Be there at {title}."})
    not_theirs = client.patch(detail(replies[0]), {"body": "Changed"})

    assert created.status_code == 201
    assert company_wide.status_code == 403
    assert edited.status_code == 200
    assert edited.json()["body"] == "Be there at {title}."
    assert not_theirs.status_code == 403
    assert CannedReply.objects.get(pk=replies[0].pk).body == replies[0].body
    assert not CannedReply.objects.filter(title="Nope").exists()


def test_an_admin_deletes_a_reply(client_for, tenant, replies):
    response = client_for(tenant.admin).delete(detail(replies[2]))

    assert response.status_code == 204
    assert not CannedReply.objects.filter(pk=replies[2].pk).exists()


@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ("Hi {requester}", "unknown_placeholder", "{requester}"),
        ("Hi {title.__class__}", "unknown_placeholder", "{title.__class__}"),
        ("Hi {requester_name", "broken_brace", '"{"'),
        ("Hi requester_name}", "broken_brace", '"}"'),
    ],
)
def test_a_bad_placeholder_is_a_400_naming_it_and_nothing_is_stored(
    client_for, tenant, body, code, named
):
    response = client_for(tenant.admin).post(
        URL, {"company": tenant.company.pk, "title": "Bad", "body": body}
    )

    assert response.status_code == 400
    (message,) = response.json()["errors"]["body"]
    assert named in message
    assert CannedReply.objects.count() == 0


def test_literal_braces_are_written_doubled(client_for, tenant):
    response = client_for(tenant.admin).post(
        URL, {"company": tenant.company.pk, "title": "Braces", "body": "{{not a placeholder}}"}
    )

    assert response.status_code == 201


def test_a_title_taken_in_the_same_place_is_400_and_nothing_is_stored(client_for, tenant, replies):
    client = client_for(tenant.admin)

    again = client.post(URL, {"company": tenant.company.pk, "title": "Welcome", "body": "x"})
    renamed = client.patch(detail(replies[1]), {"title": "Welcome"})  # another team: fine
    clash = client.post(
        URL, {"company": tenant.company.pk, "team": tenant.team.pk, "title": "Welcome", "body": "x"}
    )

    assert again.status_code == 400
    assert list(again.json()["errors"]) == ["title"]
    assert renamed.status_code == 200
    assert clash.status_code == 400
    assert CannedReply.objects.filter(title="Welcome").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"title": "No company", "body": "x"},
        {"company": "abc", "title": "x", "body": "x"},
        {"company": 0, "title": "x", "body": "x"},
        {"company": None, "title": "", "body": "x"},
        {"company": 1, "title": "x", "body": "x", "created_by": 1},
    ],
)
def test_bad_input_is_400_and_nothing_is_stored(client_for, tenant, body):
    response = client_for(tenant.admin).post(URL, body, format="json")

    assert response.status_code == 400
    assert CannedReply.objects.count() == 0


def test_a_team_or_company_one_cannot_see_is_400(client_for, tenant, other_tenant):
    client = client_for(tenant.admin)

    their_company = client.post(
        URL, {"company": other_tenant.company.pk, "title": "x", "body": "x"}
    )
    their_team = client.post(
        URL, {"company": tenant.company.pk, "team": other_tenant.team.pk, "title": "x", "body": "x"}
    )

    assert list(their_company.json()["errors"]) == ["company"]
    assert list(their_team.json()["errors"]) == ["team"]
    assert CannedReply.objects.count() == 0


def test_patch_refuses_moving_a_reply(client_for, tenant, replies):
    response = client_for(tenant.admin).patch(detail(replies[0]), {"team": tenant.team.pk})

    assert response.status_code == 400
    assert response.json()["errors"]["team"][0].startswith("This field cannot be set here")


@pytest.mark.parametrize("page_size", [1, 100])
def test_the_list_costs_the_same_whatever_its_size(
    client_for, tenant, django_assert_max_num_queries, page_size
):
    for number in range(30):
        team = tenant.team if number % 2 else None
        CannedReplyFactory(company=tenant.company, team=team, created_by=tenant.admin)
    client = client_for(tenant.agent)

    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": page_size})

    assert response.json()["count"] == 30


# --- Posting one on an order ----------------------------------------------------------------


def test_an_agent_replies_with_a_canned_reply_filled_in_and_emailed(
    client_for, tenant, in_progress_order, django_capture_on_commit_callbacks, replies
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(tenant.agent).post(
            f"/api/v1/orders/{in_progress_order.pk}/messages",
            {"canned_reply": replies[0].pk, "body": "See you soon."},
        )

    assert response.status_code == 201
    expected = (
        f"Hello {tenant.requester.name}, order #{in_progress_order.pk} "
        f"({in_progress_order.title}) is on our list.\n\nSee you soon."
    )
    assert response.json()["body"] == expected
    assert Message.objects.get().body == expected
    assert [m.to[0] for m in mail.outbox] == [tenant.requester.email]
    assert expected.splitlines()[0] in mail.outbox[0].body


def test_a_canned_reply_alone_is_a_whole_message(client_for, tenant, order, replies):
    response = client_for(tenant.lead).post(
        f"/api/v1/orders/{order.pk}/messages", {"canned_reply": replies[1].pk}
    )

    assert response.status_code == 201
    assert Message.objects.get().body == (
        f"Hello {tenant.requester.name}, order #{order.pk} ({order.title}) is on our list."
    )


def test_a_canned_reply_the_author_may_not_use_is_400_on_the_field(
    client_for, tenant, other_tenant, order, replies
):
    theirs = CannedReplyFactory(company=other_tenant.company)
    url = f"/api/v1/orders/{order.pk}/messages"

    other_team = client_for(tenant.agent).post(url, {"canned_reply": replies[2].pk})
    other_company = client_for(tenant.admin).post(url, {"canned_reply": theirs.pk})
    requester = client_for(tenant.requester).post(url, {"canned_reply": replies[0].pk})
    nothing = client_for(tenant.agent).post(url, {})

    for response in (other_team, other_company, requester):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["canned_reply"]
    assert list(nothing.json()["errors"]) == ["body"]
    assert Message.objects.count() == 0


def test_an_agent_of_another_company_replying_with_one_is_404(client_for, other_tenant, order):
    reply = CannedReplyFactory(company=other_tenant.company)
    MembershipFactory(company=other_tenant.company, role=Membership.Role.AGENT)

    response = client_for(other_tenant.agent).post(
        f"/api/v1/orders/{order.pk}/messages", {"canned_reply": reply.pk}
    )

    assert response.status_code == 404
    assert Message.objects.count() == 0

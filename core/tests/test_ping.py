def test_ping_answers_a_constant_to_a_logged_in_user(user_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the user behind the token, nothing else
        response = user_client.get("/api/v1/ping")
    assert response.status_code == 200
    assert response.json() == {"pong": True}


def test_ping_needs_a_login(api_client):
    assert api_client.get("/api/v1/ping").status_code == 401

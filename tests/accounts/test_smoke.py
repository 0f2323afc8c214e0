def test_fixture_user_can_list_sessions(user_a, api):
    response = api(user_a).get("/api/v1/research-sessions/")
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0

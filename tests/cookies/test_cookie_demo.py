"""The browser page of the school demo, through Flask's test client."""

from __future__ import annotations

from flask import Flask

API = "/api/v1"
ADA = {"role": "student", "email": "ada@school.test", "password": "analytical-engine"}


def test_the_page_logs_in_with_cookies(school_app: Flask) -> None:
    client = school_app.test_client()
    page = client.get("/browser")
    assert page.status_code == 200
    assert b'id="login-form"' in page.data

    wrong = client.post(f"{API}/session", json={**ADA, "password": "nope"})
    assert wrong.status_code == 401
    assert client.get_cookie("jwt_router_access") is None

    assert client.post(f"{API}/session", json=ADA).json["name"] == "Ada Lovelace"
    assert client.get(f"{API}/me").json["email"] == "ada@school.test"
    csrf = client.get_cookie("jwt_router_csrf")
    assert csrf is not None

    # Ada is enrolled in CS101 and CS310 by the seed; course 2 is CS220.
    refused = client.post(f"{API}/me/courses", json={"course_id": 2})
    assert refused.status_code == 403
    assert refused.json["error"] == "csrf_failed"
    headers = {"X-CSRF-Token": csrf.value}
    enrolled = client.post(f"{API}/me/courses", json={"course_id": 2}, headers=headers)
    assert enrolled.status_code == 201
    assert [g["course"] for g in client.get(f"{API}/me/grades").json["grades"]] == [
        "CS101",
        "CS220",
        "CS310",
    ]

    assert client.delete(f"{API}/session").status_code == 403
    assert client.delete(f"{API}/session", headers=headers).json == {"logged_out": True}
    assert client.get_cookie("jwt_router_access") is None
    assert client.get(f"{API}/me").status_code == 401


def test_bearer_clients_are_unchanged(school_app: Flask) -> None:
    client = school_app.test_client()
    login = {**ADA}
    token = client.post(f"{API}/login", json=login).json["token"]
    headers = {"Authorization": f"Bearer {token}"}

    assert client.post(
        f"{API}/me/courses", json={"course_id": 2}, headers=headers
    ).status_code == (201)
    assert client.get(f"{API}/me?auth={token}").status_code == 200
    assert "Set-Cookie" not in client.get(f"{API}/me", headers=headers).headers

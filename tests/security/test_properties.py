"""Random requests through the whole app: never a 5xx, and a protected view
never runs without a valid token."""

from __future__ import annotations

import typing as t
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import SECRET, SecurityApp, claims, hs_token

#: Bounded: the whole module runs in a few seconds.
EXAMPLES = 300

APP = SecurityApp({"SECRET_KEY": SECRET, "WHITE_LIST_ROUTES": [("GET", "/public")]})
VALID = {user_id: APP.token(user_id) for user_id in (1, 2, 3)}


@APP.app.route("/items/<int:item_id>", methods=["GET", "POST", "DELETE"])
def item(item_id: int) -> dict[str, t.Any]:
    from flask import g

    APP.ran.append("items")
    return {"item": item_id, "user": g.users.id}


PROTECTED_PATHS = ["/me", "/items/1", "/items/999999999999999999999"]
PATHS = [*PROTECTED_PATHS, "/public", "/", "/static/x", "/nope"]

latin1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF))
token_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ",
    max_size=300,
)


@st.composite
def tokens(draw: st.DrawFn) -> str:
    """Tokens of every shape: random bytes, mutations of valid ones, forged
    ones with random claims, and valid ones."""
    kind = draw(
        st.sampled_from(["random", "mutated", "forged", "valid", "valid", "claims"])
    )
    valid = VALID[draw(st.sampled_from(list(VALID)))]

    if kind == "random":
        return draw(st.one_of(token_text, latin1))

    if kind == "mutated":
        position = draw(st.integers(0, len(valid) - 1))
        replacement = draw(st.sampled_from("AQgw_-.=x0"))
        mutated = valid[:position] + replacement + valid[position + 1 :]
        return mutated if mutated != valid else valid + "x"

    if kind == "forged":
        secret = draw(st.sampled_from(["", "a", SECRET[:-1], "x" * 64]))
        header = draw(
            st.fixed_dictionaries(
                {"alg": st.sampled_from(["HS256", "none", "HS512", "RS256"])}
            )
        )
        return hs_token(header, claims(), secret or "k")

    if kind == "claims":
        # Correctly signed, random claim values: the checks on types must hold.
        json_values = st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=5,
        )
        overrides = draw(
            st.dictionaries(
                st.sampled_from(
                    ["table_name", "id", "sub", "exp", "iat", "nbf", "aud"]
                ),
                json_values,
                min_size=1,
            )
        )
        return hs_token({"alg": "HS256"}, claims(**overrides))

    return valid


def signed_validly(token: str) -> bool:
    """Whether ``token`` is a correctly signed token of the app's secret with
    well-formed claims naming an existing user (so the view may run)."""
    import jwt

    try:
        payload = jwt.decode(
            token, SECRET, algorithms=["HS256"], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return False

    return (
        payload.get("table_name") == "users"
        and type(payload.get("exp")) is int
        and type(payload.get("id", payload.get("sub"))) in (int, str)
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    path=st.one_of(
        st.sampled_from(PROTECTED_PATHS),
        st.sampled_from(PATHS),
        st.text(
            alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x2FF), max_size=40
        ).map(lambda text: "/" + urllib.parse.quote(text, safe="/")),
    ),
    method=st.sampled_from(["GET", "GET", "POST", "DELETE", "HEAD", "OPTIONS", "PUT"]),
    token=st.one_of(st.none(), tokens(), tokens(), tokens()),
    placement=st.sampled_from(["bearer", "query", "both", "raw", "scheme"]),
    extra_headers=st.dictionaries(
        st.sampled_from(
            [
                "X-Forwarded-For",
                "Cookie",
                "Origin",
                "Access-Control-Request-Method",
                "X-Auth",
                "Host-Extra",
            ]
        ),
        latin1.filter(lambda text: "\n" not in text and "\r" not in text),
        max_size=3,
    ),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=3),
    scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", ""]),
)
def test_random_requests_never_5xx_and_never_run_a_protected_view(
    path: str,
    method: str,
    token: str | None,
    placement: str,
    extra_headers: dict[str, str],
    query: dict[str, str],
    scheme: str,
) -> None:
    headers = dict(extra_headers)
    query = {name: value for name, value in query.items() if name != "auth"}

    if token is not None:
        if placement in ("bearer", "both"):
            headers["Authorization"] = f"Bearer {token}"
        if placement in ("query", "both"):
            query["auth"] = token
        if placement == "raw":
            headers["Authorization"] = token
        if placement == "scheme":
            headers["Authorization"] = f"{scheme} {token}"

    ran_before = len(APP.ran)
    response = APP.client.open(path, method=method, headers=headers, query_string=query)

    assert response.status_code < 500, response.get_data(as_text=True)

    if len(APP.ran) > ran_before:
        # A protected view ran: the request must have carried a valid token,
        # and the view saw that token's own entity.
        assert token is not None and signed_validly(token)
        assert placement in ("bearer", "query", "both") or (
            placement == "scheme" and scheme.lower() == "bearer"
        )
        if method != "HEAD":
            body = response.json
            assert body is not None
            seen = body.get("id", body.get("user"))
            import jwt

            payload = jwt.decode(token, SECRET, algorithms=["HS256"])
            assert str(seen) == str(payload.get("id", payload.get("sub")))


@settings(max_examples=100, deadline=None, database=None)
@given(
    user_id=st.sampled_from(list(VALID)),
    path=st.sampled_from(["/me", "/items/7"]),
    placement=st.sampled_from(["bearer", "query", "both"]),
    scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "bEaReR"]),
    padding=st.sampled_from(["", " ", "  ", "\t"]),
    query=st.dictionaries(
        st.text(max_size=8).filter(lambda name: name != "auth"),
        st.text(max_size=30),
        max_size=3,
    ),
)
def test_valid_tokens_always_reach_their_own_entity(
    user_id: int,
    path: str,
    placement: str,
    scheme: str,
    padding: str,
    query: dict[str, str],
) -> None:
    # The other side of the property: the guard is not merely refusing
    # everything. Whatever else the request carries, a valid token works.
    token = VALID[user_id]
    headers = {}

    if placement in ("bearer", "both"):
        headers["Authorization"] = f"{padding}{scheme} {token}{padding}"
    if placement in ("query", "both"):
        query = {**query, "auth": token}

    ran_before = len(APP.ran)
    response = APP.client.get(path, headers=headers, query_string=query)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(APP.ran) == ran_before + 1
    assert response.json.get("id", response.json.get("user")) == user_id

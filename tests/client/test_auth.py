import time

import pytest

from registries.client import auth
from registries.client.auth import Challenge, TokenCache, parse_challenges, parse_token_response


def test_it_parses_a_bearer_challenge_with_commas_in_the_scope():
    header = (
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",'
        'scope="repository:team/app:pull,delete"'
    )
    [challenge] = parse_challenges(header)
    assert challenge.scheme == "bearer"
    assert challenge.realm == "https://auth.example.com/token"
    assert challenge.service == "registry.example.com"
    assert challenge.scopes == ("repository:team/app:pull,delete",)


def test_it_parses_several_challenges_in_one_header():
    header = 'Basic realm="Registry Realm", Bearer realm="https://a/t",scope="registry:catalog:*"'
    basic, bearer = parse_challenges(header)
    assert basic == Challenge("basic", {"realm": "Registry Realm"})
    assert bearer.realm == "https://a/t"
    assert bearer.scopes == ("registry:catalog:*",)
    assert auth.pick_challenge([basic, bearer]) is bearer


def test_it_parses_escaped_quotes_and_unquoted_values():
    header = r'Bearer realm="https://a/t?x=\"y\"", error=insufficient_scope , service = svc'
    [challenge] = parse_challenges(header)
    assert challenge.realm == 'https://a/t?x="y"'
    assert challenge.error == "insufficient_scope"
    assert challenge.service == "svc"


def test_it_parses_multiple_scopes_and_odd_headers():
    [c] = parse_challenges('BEARER realm="r",scope="repository:a:pull repository:b:pull"')
    assert c.scheme == "bearer"
    assert c.scopes == ("repository:a:pull", "repository:b:pull")
    assert parse_challenges("") == []
    assert [c.scheme for c in parse_challenges("Negotiate abc123==, Basic realm=x")] == [
        "negotiate",
        "basic",
    ]
    assert parse_challenges('Basic realm="unterminated')[0].scheme == "basic"


def test_it_builds_token_params_with_one_scope_each():
    challenge = Challenge("bearer", {"realm": "r", "service": "svc"})
    params = auth.token_params(challenge, ["repository:b:pull", "registry:catalog:*"])
    assert params == [
        ("service", "svc"),
        ("scope", "registry:catalog:*"),
        ("scope", "repository:b:pull"),
    ]


def test_it_accepts_token_or_access_token_and_defaults_expiry_to_60s():
    now = 1000.0
    token = parse_token_response({"access_token": "abc"}, now=now)
    assert token.value == "abc"
    assert token.expires_at == now + auth.DEFAULT_TOKEN_LIFETIME - auth.EXPIRY_MARGIN
    token = parse_token_response({"token": "t", "access_token": "a", "expires_in": 300}, now=now)
    assert token.value == "t"
    assert token.expires_at == now + 300 - auth.EXPIRY_MARGIN
    with pytest.raises(ValueError):
        parse_token_response({"expires_in": 300})


def test_it_takes_issued_at_into_account():
    issued = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100))
    token = parse_token_response({"token": "t", "expires_in": 300, "issued_at": issued}, now=0)
    assert 190 <= token.expires_at <= 196
    # A clock far off is ignored rather than trusted.
    token = parse_token_response({"token": "t", "issued_at": "1999-01-01T00:00:00Z"}, now=0)
    assert token.expires_at == 55


def test_it_caches_tokens_per_scope_set_and_account_until_shortly_before_expiry():
    cache = TokenCache()
    challenge = Challenge("bearer", {"realm": "r", "service": "s"})
    alice = auth.account_key(auth.BasicAuth("alice", "pw"))
    key = cache.key(challenge, ["repository:a:pull"], alice)
    cache.put(key, auth.Token("t1", time.monotonic() + 30))
    assert cache.get(key).value == "t1"
    assert cache.get(cache.key(challenge, ["repository:a:pull"], "anonymous")) is None
    wrong = auth.account_key(auth.BasicAuth("alice", "wrong"))
    assert cache.get(cache.key(challenge, ["repository:a:pull"], wrong)) is None
    assert cache.get(cache.key(challenge, ["repository:a:pull,delete"], alice)) is None
    cache.put(key, auth.Token("t2", time.monotonic() - 1))
    assert cache.get(key) is None


def test_it_never_puts_the_password_in_the_account_key():
    credentials = auth.BasicAuth("alice", "wonderland-s3cret")
    key = auth.account_key(credentials)
    assert "wonderland" not in key
    assert key.startswith("alice#")
    assert "wonderland" not in repr(credentials)
    assert credentials.header() == {"Authorization": "Basic YWxpY2U6d29uZGVybGFuZC1zM2NyZXQ="}


def test_it_evicts_when_full():
    cache = TokenCache(max_entries=3)
    challenge = Challenge("bearer", {"realm": "r"})
    for i in range(5):
        cache.put(cache.key(challenge, [f"s{i}"], "a"), auth.Token(f"t{i}", time.monotonic() + 60))
    assert cache.get(cache.key(challenge, ["s0"], "a")) is None
    assert cache.get(cache.key(challenge, ["s4"], "a")).value == "t4"

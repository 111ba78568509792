"""Bearer token verification against the dev key and against a JWKS."""

from __future__ import annotations

import dataclasses
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common import auth
from services.common.config import load
from services.common.errors import Unauthenticated


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path))
    monkeypatch.delenv("JWT_JWKS", raising=False)
    return load()


def test_a_dev_token_round_trips_with_its_role(settings):
    a = auth.Authenticator(settings)
    p = a.authenticate("Bearer " + auth.issue_token(settings, "alice", "admin"))
    assert p == auth.Principal("alice", auth.Role.ADMIN) and p.trusted
    assert not a.authenticate("Bearer " + auth.issue_token(settings, "bob", "user")).trusted


@pytest.mark.parametrize(
    ("header", "reason"),
    [(None, "MISSING_TOKEN"), ("Basic abc", "MALFORMED_TOKEN"), ("Bearer x.y.z", "INVALID_TOKEN")],
)
def test_malformed_headers_are_refused(settings, header, reason):
    with pytest.raises(Unauthenticated) as e:
        auth.Authenticator(settings).authenticate(header)
    assert e.value.reason == reason


def test_expired_and_misaddressed_tokens_are_refused(settings):
    a = auth.Authenticator(settings)
    with pytest.raises(Unauthenticated) as e:
        a.authenticate("Bearer " + auth.issue_token(settings, "alice", "user", ttl_seconds=-60))
    assert e.value.reason == "TOKEN_EXPIRED"
    for other in (dataclasses.replace(settings, jwt_issuer="evil"), dataclasses.replace(settings, jwt_audience="other")):
        with pytest.raises(Unauthenticated):
            a.authenticate("Bearer " + auth.issue_token(other, "alice", "user"))


def test_a_jwks_configures_the_trusted_keys(settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk["kid"] = "prod-1"
    prod = dataclasses.replace(settings, jwt_jwks=json.dumps({"keys": [jwk]}))
    a = auth.Authenticator(prod)
    assert a.authenticate("Bearer " + auth.issue_token(prod, "svc", "service", key=key, kid="prod-1")).role is auth.Role.SERVICE
    with pytest.raises(Unauthenticated):  # the dev key is not trusted once a JWKS is configured
        a.authenticate("Bearer " + auth.issue_token(prod, "svc", "service"))


def test_user_ids_longer_than_128_characters_are_refused(settings):
    with pytest.raises(Unauthenticated):
        auth.Authenticator(settings).authenticate("Bearer " + auth.issue_token(settings, "x" * 129, "user"))


def test_a_token_without_kid_is_verified_by_the_only_key(settings):
    key = auth.load_or_create_dev_key(settings.dev_key_path)
    token = jwt.encode(
        {"sub": "alice", "role": "user", "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "exp": 2**31},
        key,
        algorithm="RS256",
    )
    assert auth.Authenticator(settings).authenticate(f"Bearer {token}").subject == "alice"


def test_a_jwks_over_plain_http_is_refused(settings):
    with pytest.raises(SystemExit):
        auth.Authenticator(dataclasses.replace(settings, jwt_jwks="http://keys.example/jwks.json"))


def test_refusals_do_not_say_which_check_failed(settings):
    other = dataclasses.replace(settings, jwt_audience="other")
    with pytest.raises(Unauthenticated) as e:
        auth.Authenticator(settings).authenticate("Bearer " + auth.issue_token(other, "alice", "user"))
    assert e.value.message == "the token was refused"

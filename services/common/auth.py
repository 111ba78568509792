"""Bearer JWT identity: who is calling, with which role.

Production verifies tokens against a JWKS (JWT_JWKS: a file, inline JSON or an https URL) with a fixed
issuer and audience. Without JWT_JWKS the server trusts only the local dev key kept in ENGAGE_HOME,
which `engage token` signs with.
"""

from __future__ import annotations

import json
import os
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.common.config import Settings
from services.common.errors import Unauthenticated

DEV_KID = "engage-dev"
ALGORITHMS = ["RS256", "ES256"]
MAX_USER_ID_LEN = 128


class Role(str, Enum):
    USER = "user"
    ADMIN = "admin"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role

    @property
    def trusted(self) -> bool:
        """Admins and internal services may send value-bearing events and act for any user."""
        return self.role in (Role.ADMIN, Role.SERVICE)


_current: ContextVar[Principal | None] = ContextVar("engage_principal", default=None)


def current_principal() -> Principal:
    principal = _current.get()
    if principal is None:  # a servicer called outside the interceptor: a programming error
        raise RuntimeError("no authenticated principal in this context")
    return principal


def bind_principal(principal: Principal | None):
    return _current.set(principal)


def reset_principal(token) -> None:
    _current.reset(token)


def load_or_create_dev_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)  # first writer wins when several processes start at once
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return load_or_create_dev_key(path)


def issue_token(
    settings: Settings, subject: str, role: Role | str, *, ttl_seconds: int = 3600, key=None, kid: str = DEV_KID
) -> str:
    """Signs a token with the dev key (or `key`). For development and tests only."""
    key = key or load_or_create_dev_key(settings.dev_key_path)
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": Role(role).value,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class Authenticator:
    """Verifies bearer tokens; caches verified tokens until they expire (verification costs ~100 µs)."""

    def __init__(self, settings: Settings, cache_size: int = 10_000) -> None:
        self.settings = settings
        self._jwks_client: jwt.PyJWKClient | None = None
        self._keys: dict[str, object] = {}
        src = settings.jwt_jwks
        if src and src.startswith("http://"):
            raise SystemExit("JWT_JWKS must be an https:// URL (or a file, or inline JSON): keys fetched over http can be swapped")
        if src and src.startswith("https://"):
            self._jwks_client = jwt.PyJWKClient(src, cache_keys=True)
        elif src:
            text = src if src.lstrip().startswith("{") else Path(src).read_text()
            for jwk in json.loads(text)["keys"]:
                self._keys[jwk.get("kid", "")] = jwt.PyJWK(jwk).key
        else:
            self._keys[DEV_KID] = load_or_create_dev_key(settings.dev_key_path).public_key()
        self._cache: dict[str, tuple[Principal, float]] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _key_for(self, token: str):
        kid = jwt.get_unverified_header(token).get("kid", "")
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key(kid).key
        if kid in self._keys:
            return self._keys[kid]
        if len(self._keys) == 1 and not kid:
            return next(iter(self._keys.values()))
        raise Unauthenticated("UNKNOWN_SIGNING_KEY", "the token is signed by an unknown key")

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("MISSING_TOKEN", "a bearer token is required")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("MALFORMED_TOKEN", "the authorization header must be 'Bearer <token>'")
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=ALGORITHMS,
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=30,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("TOKEN_EXPIRED", "the token has expired") from None
        except jwt.PyJWTError:
            raise Unauthenticated("INVALID_TOKEN", "the token was refused") from None
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not 1 <= len(subject) <= MAX_USER_ID_LEN:
            raise Unauthenticated("INVALID_TOKEN", "the token's subject must be 1 to 128 characters")
        try:
            principal = Principal(subject, Role(role))
        except ValueError:
            raise Unauthenticated("INVALID_TOKEN", "the token's role must be user, admin or service") from None
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.clear()
            self._cache[token] = (principal, float(claims["exp"]))
        return principal

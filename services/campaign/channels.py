"""E-mail (SMTP) and webhook sends of campaign messages. Each send says whether it succeeded and,
when not, whether trying again could help; the delivery engine decides about retries.

Every message carries its delivery id (Message-ID `<id@engage>`, header `Engage-Delivery-Id`), the
same on every attempt, so a receiver can drop a message that a retry after a lost answer repeats.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

from services.common.config import settings

WEBHOOK_THREADS = 8
SMTP_TIMEOUT = 30  # seconds per SMTP command
CHUNK_SECONDS = 120  # no e-mail of a chunk is started after this long


@dataclass(frozen=True)
class Message:
    campaign_id: int
    user_id: str
    channel: str  # EMAIL or WEBHOOK
    address: str  # the e-mail address or the webhook URL
    title: str
    body: str
    payload: dict
    secret: str | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.campaign_id, self.user_id)

    @property
    def delivery_id(self) -> str:
        return self.payload.get("delivery_id") or f"{self.campaign_id}.{self.user_id}"

    @classmethod
    def of(cls, row) -> Message:
        return cls(row.campaign_id, row.user_id, row.channel, row.address, row.title, row.body, dict(row.payload),
                   getattr(row, "secret", None))


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False  # retrying cannot help
    reason: str | None = None  # the log's reason when this is the last attempt
    error: str = ""


OK = Result(True)


def send(messages: list[Message]) -> dict[tuple[int, str], Result]:
    """Sends each message by its channel; never raises for a failed send."""
    out: dict[tuple[int, str], Result] = {}
    emails = [m for m in messages if m.channel == "EMAIL"]
    hooks = [m for m in messages if m.channel == "WEBHOOK"]
    if emails:
        out.update(send_emails(emails))
    if hooks:
        with ThreadPoolExecutor(max_workers=min(WEBHOOK_THREADS, len(hooks))) as pool:
            for m, r in zip(hooks, pool.map(post_webhook, hooks)):
                out[m.key] = r
    for m in messages:
        out.setdefault(m.key, Result(False, True, "UNKNOWN_CHANNEL", m.channel))
    return out


# ---------------------------------------------------------------------------------------------
# E-mail.


def message_id(delivery_id: str) -> str:
    return f"<{delivery_id}@engage>"


def email(m: Message, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = m.address
    msg["Subject"] = m.title
    msg["Message-ID"] = message_id(m.delivery_id)
    msg["Date"] = formatdate(localtime=False)
    msg.set_content(m.body)
    return msg


def _smtp_failure(code: int, text: str) -> Result:
    # 5xx is a refusal (bad address, rejected content); 4xx is "try later".
    return Result(False, permanent=500 <= code < 600, reason="SMTP_ERROR", error=f"{code} {text}")


def send_emails(messages: list[Message], *, host: str | None = None, port: int | None = None,
                seconds: float = CHUNK_SECONDS) -> dict[tuple[int, str], Result]:
    """Sends the messages over one SMTP connection (STARTTLS and login when configured); none is
    started after `seconds`, so a slow server cannot hold a chunk past its lease."""
    s = settings()
    deadline = time.monotonic() + seconds
    out: dict[tuple[int, str], Result] = {}
    try:
        with smtplib.SMTP(host or s.smtp_host, port or s.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            for m in messages:
                if time.monotonic() > deadline:  # the chunk's time is up: the rest wait for a retry
                    out[m.key] = Result(False, False, "SMTP_ERROR", "not attempted: the chunk ran out of time")
                    continue
                try:
                    smtp.send_message(email(m, s.smtp_from))
                    out[m.key] = OK
                except smtplib.SMTPRecipientsRefused as e:
                    code, text = next(iter(e.recipients.values()), (550, b"refused"))
                    out[m.key] = _smtp_failure(code, text.decode(errors="replace") if isinstance(text, bytes) else str(text))
                except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as e:
                    out[m.key] = _smtp_failure(e.smtp_code, str(e.smtp_error))
                    smtp.rset()
    except (smtplib.SMTPException, OSError) as e:
        # The connection, greeting, STARTTLS or login failed, or the connection broke: a fault of
        # the server or of our settings, not of these messages, so they are all tried again later
        # (only a refusal of one message above is permanent).
        for m in messages:
            if m.key not in out:
                out[m.key] = Result(False, False, "SMTP_ERROR", repr(e))
    return out


# ---------------------------------------------------------------------------------------------
# Webhooks.


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the receiver recomputes it with the shared
    secret and rejects old timestamps (replays)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class AddressRefused(OSError):
    """The webhook's host resolves to an address campaigns never post to."""


def refused_address(ip: str) -> bool:
    """Link-local (cloud metadata at 169.254.169.254, fe80::/10), multicast and unspecified
    addresses. Loopback and private networks stay allowed on purpose: receivers inside the
    platform's own network are the normal case for an internal engagement platform."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_link_local or addr.is_multicast or addr.is_unspecified


def _check_host(url: str) -> None:
    """Resolves the URL's host and refuses it when any of its addresses is refused."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, sockaddr in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        if refused_address(sockaddr[0]):
            raise AddressRefused(f"{parts.hostname} resolves to {sockaddr[0]}")


def _guarded_connection(address, *args, **kwargs) -> socket.socket:
    # Checked again on the connected peer: a DNS answer that changed since `_check_host` (rebinding)
    # is refused too.
    sock = socket.create_connection(address, *args, **kwargs)
    peer = sock.getpeername()[0]
    if refused_address(peer):
        sock.close()
        raise AddressRefused(f"{address[0]} connected to {peer}")
    return sock


class _GuardedHTTP(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _GuardedHTTPS(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _guarded_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTP, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        extra = {"check_hostname": self._check_hostname} if hasattr(self, "_check_hostname") else {}
        return self.do_open(_GuardedHTTPS, req, context=self._context, **extra)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 3xx by turning the POST into a GET and forwarding the signature header;
    a receiver that moved must be reconfigured, so a 3xx is answered as an HTTPError instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# No proxies from the environment (HTTP(S)_PROXY would route signed payloads through them), no
# redirects, and connections only to allowed addresses.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect(), _HTTPHandler(), _HTTPSHandler())


def post_webhook(m: Message, *, timeout: float | None = None) -> Result:
    now = datetime.now(UTC)
    body = json.dumps({**m.payload, "sent_at": now.isoformat().replace("+00:00", "Z")}, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "Engage-Delivery-Id": m.delivery_id, "User-Agent": "engage-campaign/1"}
    if m.secret:
        headers["Engage-Signature"] = signature(m.secret, int(time.time()), body)
    try:
        _check_host(m.address)
        request = urllib.request.Request(m.address, data=body, headers=headers, method="POST")
        with _OPENER.open(request, timeout=timeout or settings().campaign_webhook_timeout_seconds) as response:
            response.read(1024)
        return OK
    except AddressRefused as e:
        return Result(False, True, "WEBHOOK_ADDRESS_REFUSED", str(e))
    except urllib.error.HTTPError as e:
        if 300 <= e.code < 400:
            return Result(False, True, "WEBHOOK_REDIRECTED", f"HTTP {e.code} to {e.headers.get('Location', '')}")
        # 4xx says the request itself is wrong (retrying repeats it), except timeouts and rate limits.
        permanent = 400 <= e.code < 500 and e.code not in (408, 429)
        return Result(False, permanent, "WEBHOOK_HTTP_ERROR" if permanent else "WEBHOOK_UNREACHABLE", f"HTTP {e.code}")
    except urllib.error.URLError as e:
        if isinstance(e.reason, AddressRefused):
            return Result(False, True, "WEBHOOK_ADDRESS_REFUSED", str(e.reason))
        return Result(False, False, "WEBHOOK_UNREACHABLE", repr(e))
    except (socket.timeout, OSError, ValueError) as e:
        return Result(False, isinstance(e, ValueError), "WEBHOOK_UNREACHABLE", repr(e))

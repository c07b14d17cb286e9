"""Where the sync client may connect and how it checks the server: plain ``http://`` only to this
computer (127.0.0.0/8, ::1, localhost) unless insecure connections are allowed for development, and TLS
verified against the operating system's certificate store (``truststore``: a bureau's own certificate
authority installed on the computer works). Used by ``app.sync.client.SyncClient``."""

from __future__ import annotations

import ipaddress
import ssl
from typing import Any
from urllib.parse import urlsplit

import truststore
from requests.adapters import HTTPAdapter

from app.errors import SyncError
from app.errors import SyncErrorKind as K
from app.i18n import N_


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or the name localhost: this computer."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def server_url_problem(url: str, allow_insecure: bool = False) -> SyncError | None:
    """Why ``url`` cannot be a sync server address, or None. Plain http:// would send the user name,
    the password and the tokens in clear: only to this computer, or with ``allow_insecure``."""
    try:
        parts = urlsplit(url.strip())
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        scheme = host = ""
    if scheme not in ("https", "http") or not host:
        return SyncError(K.REFUSED, N_("Enter the server address, for example https://archive.example.cn"))
    if scheme == "http" and not is_loopback(host) and not allow_insecure:
        return SyncError(
            K.REFUSED,
            N_(
                "The connection must be encrypted: the address must start with https:// "
                "(http:// only to this computer). The user name and password are not sent."
            ),
        )
    return None


def trust_context(extra_ca: str | None = None) -> ssl.SSLContext:
    """TLS with the operating system's certificate store (Windows, macOS: the system's verifier; Linux:
    the distribution's CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR when set), plus ``extra_ca`` (a PEM
    file) when given. Hostname and chain are always verified."""
    ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if extra_ca:
        ctx.load_verify_locations(cafile=extra_ca)
    return ctx


class TrustStoreAdapter(HTTPAdapter):
    """requests' adapter with our SSL context, for this session only (nothing global is patched)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, ssl_context=self._context, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs.setdefault("ssl_context", self._context)
        return super().proxy_manager_for(proxy, **proxy_kwargs)

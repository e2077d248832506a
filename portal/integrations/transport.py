"""Sending one webhook POST without being turned against the portal's own network (SSRF).

The URL was checked when it was registered, but a name can resolve anywhere and change
between two lookups (DNS rebinding). So at delivery time the host is resolved once, every
address it resolves to must be globally routable, and the connection goes to the address
that was checked — the name is kept only for the ``Host`` header and TLS (SNI and the
certificate's name). ``WEBHOOK_ALLOW_PRIVATE`` (tests, a receiver on this host) skips the
address check, never the pinning.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit


class RefusedAddress(Exception):
    """The webhook's host resolves to an address the portal will not connect to."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, Teredo or NAT64 address leads to, if any."""
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether the portal may connect to ``address``: globally routable, and not an IPv6
    form of an IPv4 address (mapped ones are refused outright; 6to4, Teredo and NAT64 ones
    only when the IPv4 address inside is not global)."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return False
        inner = _embedded_ipv4(address)
        if inner is not None and not inner.is_global:
            return False
    return True


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The one address to connect to for ``host``; RefusedAddress when any address the name
    resolves to is not public (unless ``allow_private``), OSError when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise OSError(f"{host} does not resolve")
    if not allow_private:
        for text in addresses:
            if not is_public(ipaddress.ip_address(text)):
                raise RefusedAddress(
                    f"refused: {host} resolves to {text}, which is not a public internet "
                    "address (loopback, private, link-local or reserved)"
                )
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, *,
         allow_private: bool) -> int:  # fmt: skip
    """POST ``body`` to ``url`` at its checked address; the HTTP status. Redirects are
    answers, not hops (http.client does not follow them)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(host, port, allow_private=allow_private)
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)

    def connect_to_checked(_where, *args, **kwargs):  # not a second lookup of ``host``
        return socket.create_connection((address, port), *args, **kwargs)

    connection._create_connection = connect_to_checked  # type: ignore[attr-defined]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()

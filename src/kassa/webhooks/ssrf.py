"""The SSRF guard: which webhook targets Kassa may connect to.

A target URL is checked when an endpoint is created or changed (a clear 400) and again before
every attempt (a name can change its address; answers are cached for 30 s). The host is resolved
once; *every* address it resolves to must be allowed, and the request then goes to a checked
address (the next one only if connecting to the first fails), with the original ``Host`` header
and TLS server name, so a second DNS answer cannot redirect it (no DNS rebinding).

Refused, unless inside an operator-allowed network (``KASSA_WEBHOOK_ALLOWED_NETWORKS``):
private, loopback, link-local, CGNAT (100.64/10), multicast, reserved, unspecified and other
not-globally-routable addresses of IPv4 and IPv6; IPv4-mapped IPv6 (``::ffff:a.b.c.d``) always;
6to4 (``2002::/16``) and NAT64 (``64:ff9b::/96``) addresses are judged by the IPv4 address they
embed. ``https`` is required unless ``KASSA_WEBHOOK_ALLOW_HTTP=true``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

from kassa.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

DEVNET_ALLOWED = "127.0.0.0/8,::1/128"
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
RESOLVE_TIMEOUT = 5.0
CACHE_SECONDS = 30.0


class TargetRefused(Exception):
    """The target URL may not be called. ``permanent`` when no DNS change can fix it."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def _v4_reason(ip: ipaddress.IPv4Address) -> str | None:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip in CGNAT:
        return "shared address space (CGNAT)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"
    return None


def refusal_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a safe webhook target, or ``None`` when it is (pure)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_reason(ip)
    if ip.ipv4_mapped is not None:
        return f"an IPv4-mapped IPv6 address (of {ip.ipv4_mapped})"
    if ip in NAT64:
        inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        reason = _v4_reason(inner)
        return f"NAT64 of {inner} ({reason})" if reason else None
    if ip.sixtofour is not None:
        reason = _v4_reason(ip.sixtofour)
        return f"6to4 of {ip.sixtofour} ({reason})" if reason else None
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_site_local or ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"127.0.0.0/8, ::1"`` → networks; raises ``ValueError`` naming the bad entry."""
    networks: list[IPNetwork] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"KASSA_WEBHOOK_ALLOWED_NETWORKS: not a network: {part!r}") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class TargetPolicy:
    allow_http: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> TargetPolicy:
        devnet = settings.network == "devnet"
        allow_http = settings.webhook_allow_http
        networks = settings.webhook_allowed_networks
        return cls(
            allow_http=devnet if allow_http is None else allow_http,
            allowed=parse_networks(
                (DEVNET_ALLOWED if devnet else "") if networks is None else networks
            ),
        )

    def check_ip(self, ip: IPAddress) -> str | None:
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return None
        return refusal_reason(ip)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked target: the addresses to connect to (in order), and what the host is."""

    url: httpx.URL
    addresses: tuple[str, ...]
    host_header: str
    sni_hostname: str | None

    def url_for(self, address: str) -> httpx.URL:
        """The URL to request: the original with its host replaced by a checked address."""
        return self.url.copy_with(host=address)


def parse_url(url: str, policy: TargetPolicy) -> httpx.URL:
    """Checks that need no DNS; raises a permanent :class:`TargetRefused`."""
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
    except (httpx.InvalidURL, ValueError):
        raise TargetRefused("not a valid URL", permanent=True) from None
    if parsed.scheme not in ("http", "https") or not host:
        raise TargetRefused("must be an absolute http(s) URL", permanent=True)
    if parsed.scheme == "http" and not policy.allow_http:
        raise TargetRefused(
            "must use https (http needs KASSA_WEBHOOK_ALLOW_HTTP=true)", permanent=True
        )
    if parsed.userinfo:
        raise TargetRefused("must not contain credentials", permanent=True)
    return parsed


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass
class Guard:
    """Resolves and checks target hosts, caching checked answers for ``CACHE_SECONDS``."""

    policy: TargetPolicy
    resolver: Resolver = system_resolver
    cache_seconds: float = CACHE_SECONDS
    _cache: dict[tuple[str, int], tuple[float, tuple[str, ...] | TargetRefused]] = field(
        default_factory=dict
    )

    async def target(self, url: str) -> Target:
        """The checked address to connect to for ``url``; raises :class:`TargetRefused`."""
        parsed = parse_url(url, self.policy)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        outcome = await self._checked(host, port)
        if isinstance(outcome, TargetRefused):
            raise outcome
        return Target(
            url=parsed,
            addresses=outcome,
            host_header=parsed.netloc.decode("ascii"),
            sni_hostname=host if parsed.scheme == "https" and not _is_ip(host) else None,
        )

    async def _checked(self, host: str, port: int) -> tuple[str, ...] | TargetRefused:
        key = (host, port)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        outcome = await self._resolve_and_check(host, port)
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = (now + self.cache_seconds, outcome)
        return outcome

    async def _resolve_and_check(self, host: str, port: int) -> tuple[str, ...] | TargetRefused:
        if _is_ip(host):
            addresses = [host]
        else:
            try:
                async with asyncio.timeout(RESOLVE_TIMEOUT):
                    addresses = await self.resolver(host, port)
            except (OSError, TimeoutError, ValueError):  # ValueError: not a valid DNS name
                return TargetRefused(f"host {host} does not resolve")
            if not addresses:
                return TargetRefused(f"host {host} does not resolve")
        return check_addresses(host, addresses, self.policy)


def check_addresses(
    host: str, addresses: Sequence[str], policy: TargetPolicy
) -> tuple[str, ...] | TargetRefused:
    """The addresses when every one is allowed, else the refusal (pure)."""
    checked: list[str] = []
    for text in addresses:
        try:
            ip = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            return TargetRefused(f"host {host} resolves to an invalid address {text!r}")
        reason = policy.check_ip(ip)
        if reason is not None:
            shown = "" if _is_ip(host) else f"host {host} resolves to "
            return TargetRefused(f"{shown}{ip}, which is {reason}")
        checked.append(str(ip))
    return tuple(checked)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

"""The SSRF guard: private targets refused at creation and at delivery, the checked address is
the one connected to."""

from __future__ import annotations

import dataclasses
import ipaddress
import uuid

import httpx
import pytest
import respx

from kassa.app import create_app
from kassa.config import Settings
from kassa.runtime import Runtime
from kassa.webhooks.ssrf import Guard, Resolver, TargetPolicy, TargetRefused, refusal_reason
from kassa.webhooks.transport import Job, Sender
from tests.conftest import MerchantKey
from tests.webhooks.conftest import DispatcherFactory, Receiver, emit
from tests.webhooks.test_delivery import attempts, deliveries

REFUSED = {
    "127.0.0.1": "loopback",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "link-local",
    "100.64.0.1": "shared address space (CGNAT)",
    "0.0.0.0": "unspecified",  # noqa: S104 - an address to refuse
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "198.18.0.1": "private",
    "::1": "loopback",
    "::": "unspecified",
    "fe80::1": "link-local",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "ff02::1": "multicast",
    "2001:db8::1": "private",
    "::ffff:127.0.0.1": "an IPv4-mapped IPv6 address (of 127.0.0.1)",
    "::ffff:8.8.8.8": "an IPv4-mapped IPv6 address (of 8.8.8.8)",
    "::127.0.0.1": "reserved",
    "64:ff9b::7f00:1": "NAT64 of 127.0.0.1 (loopback)",
    "64:ff9b::a00:1": "NAT64 of 10.0.0.1 (private)",
    "2002:7f00:1::1": "6to4 of 127.0.0.1 (loopback)",
    "2002:c0a8:101::1": "6to4 of 192.168.1.1 (private)",
}
ALLOWED = ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", sorted(REFUSED))
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) == REFUSED[address]


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def fixed(answers: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError("no such host")
        return answers[host]

    return resolve


STRICT = TargetPolicy()


async def test_every_resolved_address_must_be_allowed() -> None:
    guard = Guard(STRICT, fixed({"mixed.example": ["93.184.216.34", "10.0.0.5"]}))
    with pytest.raises(TargetRefused) as refused:
        await guard.target("https://mixed.example/hook")
    assert refused.value.message == "host mixed.example resolves to 10.0.0.5, which is private"


async def test_http_needs_the_operator_setting() -> None:
    guard = Guard(STRICT, fixed({"shop.example": ["93.184.216.34"]}))
    with pytest.raises(TargetRefused) as refused:
        await guard.target("http://shop.example/hook")
    assert refused.value.permanent
    allowed = Guard(TargetPolicy(allow_http=True), fixed({"shop.example": ["93.184.216.34"]}))
    assert (await allowed.target("http://shop.example/hook")).addresses == ("93.184.216.34",)


def test_allowed_networks_setting(settings: Settings) -> None:
    devnet = TargetPolicy.from_settings(settings)
    assert devnet.allow_http
    assert devnet.check_ip(ipaddress.ip_address("127.0.0.1")) is None
    assert devnet.check_ip(ipaddress.ip_address("10.0.0.1")) == "private"
    assert devnet.check_ip(ipaddress.ip_address("::ffff:127.0.0.1")) == (
        "an IPv4-mapped IPv6 address (of 127.0.0.1)"
    )
    mainnet = TargetPolicy.from_settings(settings.model_copy(update={"network": "mainnet"}))
    assert not mainnet.allow_http
    assert mainnet.check_ip(ipaddress.ip_address("127.0.0.1")) == "loopback"
    office = TargetPolicy.from_settings(
        settings.model_copy(
            update={"webhook_allowed_networks": "10.0.0.0/8, fd00::/8", "webhook_allow_http": False}
        )
    )
    assert office.check_ip(ipaddress.ip_address("10.9.9.9")) is None
    assert office.check_ip(ipaddress.ip_address("127.0.0.1")) == "loopback"
    assert not office.allow_http


@respx.mock
async def test_the_request_goes_to_the_checked_address_with_host_and_sni() -> None:
    route = respx.post("https://93.184.216.34:8443/hook?x=1").mock(return_value=httpx.Response(204))
    guard = Guard(STRICT, fixed({"shop.example": ["93.184.216.34"]}))
    sender = Sender(guard, 5)
    job = Job(
        1, 1, "msg_1", uuid.uuid4(), None, "https://shop.example:8443/hook?x=1", b"{}", (b"k",), 0
    )
    attempt = await sender.send(job)
    await sender.aclose()

    assert attempt.status_code == 204
    request = route.calls.last.request
    assert request.headers["host"] == "shop.example:8443"
    assert request.extensions["sni_hostname"] == "shop.example"


async def test_creating_an_endpoint_refuses_private_targets(
    runtime: Runtime, settings: Settings, merchant: MerchantKey
) -> None:
    strict = settings.model_copy(
        update={"webhook_allowed_networks": "", "webhook_allow_http": True}
    )
    app = create_app(strict, dataclasses.replace(runtime, settings=strict))
    transport = httpx.ASGITransport(app=app)
    cases = {
        "http://localhost:8080/hook": "Invalid url: host localhost resolves to ",
        "http://127.0.0.1/hook": "Invalid url: 127.0.0.1, which is loopback",
        "http://[::ffff:127.0.0.1]/hook": (
            "Invalid url: ::ffff:7f00:1, which is an IPv4-mapped IPv6 address (of 127.0.0.1)"
        ),
        "http://[::1]/hook": "Invalid url: ::1, which is loopback",
        "http://169.254.169.254/latest/meta-data": (
            "Invalid url: 169.254.169.254, which is link-local"
        ),
        "http://10.0.0.1/hook": "Invalid url: 10.0.0.1, which is private",
        "http://no-such-host.invalid/hook": (
            "Invalid url: host no-such-host.invalid does not resolve"
        ),
    }
    async with httpx.AsyncClient(transport=transport, base_url="http://kassa.test") as client:
        for url, message in cases.items():
            response = await client.post(
                "/api/webhooks", json={"url": url}, headers=merchant.headers
            )
            assert response.status_code == 400, url
            assert response.json()["error"].startswith(message), response.json()
        listed = await client.get("/api/webhooks", headers=merchant.headers)
    assert listed.json() == {"endpoints": []}


async def test_https_is_required_outside_the_devnet_defaults(
    runtime: Runtime, settings: Settings, merchant: MerchantKey
) -> None:
    strict = settings.model_copy(update={"webhook_allow_http": False})
    app = create_app(strict, dataclasses.replace(runtime, settings=strict))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kassa.test"
    ) as client:
        response = await client.post(
            "/api/webhooks", json={"url": "http://127.0.0.1/hook"}, headers=merchant.headers
        )
    assert response.json() == {
        "error": "Invalid url: must use https (http needs KASSA_WEBHOOK_ALLOW_HTTP=true)"
    }


async def test_a_name_that_now_resolves_to_a_private_address_is_not_called(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
    hook_settings: Settings,
) -> None:
    """The per-payment webhook_url is checked at delivery time, every time."""
    strict = hook_settings.model_copy(update={"webhook_allowed_networks": ""})
    resolver = fixed({"rebind.example": ["127.0.0.1"]})
    event = await emit(runtime, merchant.merchant_id, f"http://rebind.example:{receiver.port}/")
    await make_dispatcher(strict, resolver=resolver).run_until_idle()

    assert receiver.requests == []
    [delivery] = await deliveries(runtime, event.id)
    assert delivery.status == "pending"  # DNS may change back: retried on the schedule
    [attempt] = await attempts(runtime, delivery.id)
    assert attempt.error == (
        "target refused: host rebind.example resolves to 127.0.0.1, which is loopback"
    )


async def test_a_name_resolving_to_an_allowed_address_is_called_there(
    runtime: Runtime,
    merchant: MerchantKey,
    receiver: Receiver,
    make_dispatcher: DispatcherFactory,
) -> None:
    """The request goes to the address Kassa checked, not to a second DNS answer."""
    resolver = fixed({"hooks.example": ["127.0.0.1"]})
    await emit(runtime, merchant.merchant_id, f"http://hooks.example:{receiver.port}/in")
    await make_dispatcher(resolver=resolver).run_until_idle()

    [request] = receiver.requests
    assert request.path == "/in"
    assert request.headers["host"] == f"hooks.example:{receiver.port}"


@pytest.mark.parametrize(
    "url",
    [
        "http://" + "a" * 70 + ".example/",
        "http://a..b/",
        "http://xn--/",
        "http://[::1/",
        "ftp://x/",
    ],
)
async def test_malformed_hosts_are_refused_not_crashed(url: str) -> None:
    with pytest.raises(TargetRefused):
        await Guard(TargetPolicy(allow_http=True)).target(url)

"""Invoice arithmetic: exact in the currency's minor unit, never rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kassa.invoices.amounts import LineIn, breakdown, format_minor
from kassa.kit.errors import BadRequest

D = Decimal


def test_breakdown_adds_lines_tax_shipping_and_discount() -> None:
    lines, total = breakdown(
        [LineIn(D(3), D("0.10"), D(0)), LineIn(D("0.5"), D("19.98"), D("1.90"))],
        D("4.99"),
        D("0.30"),
        "EUR",
    )
    assert [line.amount for line in lines] == [30, 999]
    assert (total.subtotal, total.tax, total.shipping, total.discount) == (1029, 190, 499, 30)
    assert total.total == 1688
    assert format_minor(total.total, "EUR") == "16.88"


def test_a_free_item_is_fine_but_a_free_invoice_is_not() -> None:
    _, total = breakdown([LineIn(D(1), D(0), D(0)), LineIn(D(1), D(1), D(0))], D(0), D(0), "USD")
    assert total.total == 100
    with pytest.raises(BadRequest, match="total must be greater than 0"):
        breakdown([LineIn(D(1), D(0), D(0))], D(0), D(0), "USD")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (LineIn(D(1), D("0.001"), D(0)), r"items\[0\].unit_price: USD has at most 2"),
        (LineIn(D(1), D(1), D("0.125")), r"items\[0\].tax: USD has at most 2"),
        (LineIn(D("0.333"), D("1.00"), D(0)), r"quantity × unit_price has more than 2"),
        (LineIn(D(10) ** 29, D(100), D(0)), r"is too large"),
    ],
)
def test_inexact_or_huge_lines_are_refused(line: LineIn, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        breakdown([line], D(0), D(0), "USD")


@given(
    st.lists(
        st.tuples(st.integers(1, 1000), st.integers(0, 10**9), st.integers(0, 10**6)),
        min_size=1,
        max_size=10,
    ),
    st.integers(0, 10**6),
)
def test_total_is_the_exact_sum_of_its_parts(
    parts: list[tuple[int, int, int]], shipping: int
) -> None:
    lines = [LineIn(D(q), D(p).scaleb(-2), D(t).scaleb(-2)) for q, p, t in parts]
    if sum(q * p + t for q, p, t in parts) + shipping == 0:
        return
    _, total = breakdown(lines, D(shipping).scaleb(-2), D(0), "USD")
    assert total.total == sum(q * p + t for q, p, t in parts) + shipping
    assert total.total == total.subtotal + total.tax + total.shipping - total.discount

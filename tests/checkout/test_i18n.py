"""The checkout's message catalogue and language negotiation."""

from __future__ import annotations

import string

import pytest

from kassa.checkout.i18n import CATALOGUE, EN, Translator, negotiate


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("locale", sorted(CATALOGUE))
def test_every_locale_has_every_message_with_the_same_placeholders(locale: str) -> None:
    messages = CATALOGUE[locale]
    assert set(messages) == set(EN)
    for key, text in EN.items():
        assert _fields(messages[key]) == _fields(text), key


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        ("de", "en-US", "de"),
        ("DE", None, "de"),
        ("xx", "de-CH, en;q=0.5", "de"),
        (None, "fr-FR, en;q=0.3, de;q=0.8", "de"),
        (None, "fr, es", "en"),
        (None, "de;q=0", "en"),
        (None, "de;q=abc, en", "en"),
        (None, None, "en"),
    ],
)
def test_negotiation(requested: str | None, header: str | None, expected: str) -> None:
    assert negotiate(requested, header) == expected


def test_translator_formats_and_falls_back_to_english() -> None:
    assert Translator("de")("return_to", merchant="Laden") == "Zurück zu Laden"
    assert Translator("xx")("continue") == "Continue"

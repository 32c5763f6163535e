"""The checkout's message catalogue: one dict per locale, English as the fallback.

Add a language by adding a dict with the same keys (a test checks that every locale has every
key and the same ``{placeholders}``). The locale comes from ``?lang=`` or ``Accept-Language``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

EN: Final[dict[str, str]] = {
    "page_title": "Pay {merchant}",
    "test_network": "Test network — do not send real funds",
    "order": "Your order",
    "item": "Item",
    "qty": "Qty",
    "amount": "Amount",
    "subtotal": "Subtotal",
    "tax": "Tax",
    "shipping": "Shipping",
    "discount": "Discount",
    "total": "Total",
    "invoice_number": "Invoice {number}",
    "due": "Due {date}",
    "notes": "Notes",
    "choose_title": "Choose how to pay",
    "choose_legend": "Currency",
    "continue": "Continue",
    "expired_choose_again": "The payment window closed. Choose a currency to start again.",
    "awaiting_title": "Waiting for your payment",
    "send_exactly": "Send exactly",
    "to_address": "To this address",
    "network": "Network",
    "destination_tag": "Destination tag",
    "tag_required": "Include the destination tag: without it your payment cannot be matched.",
    "copy": "Copy",
    "copied": "Copied",
    "copy_amount": "Copy amount",
    "copy_address": "Copy address",
    "copy_tag": "Copy destination tag",
    "qr_label": "QR code: pay {amount} {asset} to {address}",
    "open_wallet": "Open in wallet",
    "time_left": "Time left",
    "expired_short": "Expired",
    "change_currency": "Pay with another currency",
    "simulate": "Simulate payment",
    "simulate_partial": "Simulate partial payment",
    "simulate_hint": "Devnet only: sends test funds to this address.",
    "simulate_sent": "Test payment sent — waiting for the network…",
    "cancel_back": "Cancel and return to {merchant}",
    "partial_title": "Partial payment received",
    "partial_text": (
        "We received {received} {asset}. Send the remaining {remaining} {asset} to complete "
        "the payment."
    ),
    "partial_closed": "The payment window has closed; waiting for confirmations.",
    "confirming_title": "Payment received",
    "confirming_text": "Waiting for network confirmations: {count} of {required}.",
    "confirmations": "Confirmations",
    "confirmed_title": "Payment confirmed",
    "confirmed_text": "Thank you! {merchant} has received your payment.",
    "return_to": "Return to {merchant}",
    "underpaid_title": "Payment incomplete",
    "underpaid_text": (
        "The payment window closed after {received} of {amount} {asset} arrived. "
        "Please contact {merchant}."
    ),
    "expired_title": "Payment window expired",
    "expired_text": "No payment arrived in time. Please return to {merchant} to start again.",
    "late_title": "Payment arrived late",
    "late_text": (
        "Your payment arrived after the payment window closed. {merchant} has received it and "
        "will contact you."
    ),
    "cancelled_title": "Invoice cancelled",
    "cancelled_text": "{merchant} cancelled this invoice. Do not send a payment.",
    "timed_out_title": "Invoice expired",
    "timed_out_text": "This invoice can no longer be paid. Please contact {merchant}.",
    "not_found_title": "Payment not found",
    "not_found_text": "This payment link does not exist. Check the link you were given.",
    "busy_title": "Please try again later",
    "language": "Language",
    "powered": "Payments by Kassa",
}

DE: Final[dict[str, str]] = {
    "page_title": "{merchant} bezahlen",
    "test_network": "Testnetz — kein echtes Geld senden",
    "order": "Ihre Bestellung",
    "item": "Artikel",
    "qty": "Menge",
    "amount": "Betrag",
    "subtotal": "Zwischensumme",
    "tax": "Steuer",
    "shipping": "Versand",
    "discount": "Rabatt",
    "total": "Gesamt",
    "invoice_number": "Rechnung {number}",
    "due": "Fällig am {date}",
    "notes": "Hinweise",
    "choose_title": "Zahlungsart wählen",
    "choose_legend": "Währung",
    "continue": "Weiter",
    "expired_choose_again": (
        "Das Zahlungsfenster ist abgelaufen. Wählen Sie eine Währung, um neu zu beginnen."
    ),
    "awaiting_title": "Warten auf Ihre Zahlung",
    "send_exactly": "Senden Sie genau",
    "to_address": "An diese Adresse",
    "network": "Netzwerk",
    "destination_tag": "Destination-Tag",
    "tag_required": (
        "Geben Sie das Destination-Tag an: ohne es kann Ihre Zahlung nicht zugeordnet werden."
    ),
    "copy": "Kopieren",
    "copied": "Kopiert",
    "copy_amount": "Betrag kopieren",
    "copy_address": "Adresse kopieren",
    "copy_tag": "Destination-Tag kopieren",
    "qr_label": "QR-Code: {amount} {asset} an {address} zahlen",
    "open_wallet": "In der Wallet öffnen",
    "time_left": "Verbleibende Zeit",
    "expired_short": "Abgelaufen",
    "change_currency": "Mit einer anderen Währung zahlen",
    "simulate": "Zahlung simulieren",
    "simulate_partial": "Teilzahlung simulieren",
    "simulate_hint": "Nur im Devnet: sendet Testgeld an diese Adresse.",
    "simulate_sent": "Testzahlung gesendet — warten auf das Netzwerk…",
    "cancel_back": "Abbrechen und zu {merchant} zurückkehren",
    "partial_title": "Teilzahlung erhalten",
    "partial_text": (
        "Wir haben {received} {asset} erhalten. Senden Sie die restlichen {remaining} {asset}, "
        "um die Zahlung abzuschließen."
    ),
    "partial_closed": "Das Zahlungsfenster ist geschlossen; warten auf Bestätigungen.",
    "confirming_title": "Zahlung eingegangen",
    "confirming_text": "Warten auf Netzwerkbestätigungen: {count} von {required}.",
    "confirmations": "Bestätigungen",
    "confirmed_title": "Zahlung bestätigt",
    "confirmed_text": "Vielen Dank! {merchant} hat Ihre Zahlung erhalten.",
    "return_to": "Zurück zu {merchant}",
    "underpaid_title": "Zahlung unvollständig",
    "underpaid_text": (
        "Das Zahlungsfenster wurde geschlossen, nachdem {received} von {amount} {asset} "
        "eingegangen waren. Bitte wenden Sie sich an {merchant}."
    ),
    "expired_title": "Zahlungsfenster abgelaufen",
    "expired_text": (
        "Es ist keine Zahlung rechtzeitig eingegangen. Kehren Sie zu {merchant} zurück, um neu "
        "zu beginnen."
    ),
    "late_title": "Zahlung verspätet eingegangen",
    "late_text": (
        "Ihre Zahlung ist nach Ablauf des Zahlungsfensters eingegangen. {merchant} hat sie "
        "erhalten und meldet sich bei Ihnen."
    ),
    "cancelled_title": "Rechnung storniert",
    "cancelled_text": "{merchant} hat diese Rechnung storniert. Senden Sie keine Zahlung.",
    "timed_out_title": "Rechnung abgelaufen",
    "timed_out_text": (
        "Diese Rechnung kann nicht mehr bezahlt werden. Bitte wenden Sie sich an {merchant}."
    ),
    "not_found_title": "Zahlung nicht gefunden",
    "not_found_text": "Diesen Zahlungslink gibt es nicht. Prüfen Sie den erhaltenen Link.",
    "busy_title": "Bitte versuchen Sie es später erneut",
    "language": "Sprache",
    "powered": "Zahlungen über Kassa",
}

CATALOGUE: Final[dict[str, dict[str, str]]] = {"en": EN, "de": DE}
LANGUAGE_NAMES: Final[dict[str, str]] = {"en": "English", "de": "Deutsch"}
DEFAULT: Final = "en"


def negotiate(requested: str | None, accept_language: str | None) -> str:
    """``?lang=`` wins; then the first supported language of ``Accept-Language``; else English."""
    if requested and requested.lower() in CATALOGUE:
        return requested.lower()
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.split("-")[0].lower()
        if language in CATALOGUE and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else DEFAULT


@dataclass(frozen=True, slots=True)
class Translator:
    locale: str

    def __call__(self, key: str, **params: object) -> str:
        text = CATALOGUE.get(self.locale, EN).get(key) or EN.get(key, key)
        return text.format(**params) if params else text

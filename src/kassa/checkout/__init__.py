"""The hosted checkout page (/pay/{id}) for payments and invoices."""

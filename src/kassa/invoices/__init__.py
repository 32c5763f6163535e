"""Invoices with line items; the buyer picks the asset at checkout."""

"""Kassa: a self-hosted cryptocurrency payment gateway."""

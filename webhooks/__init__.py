"""Signed webhooks (Standard Webhooks) from the outbox: subscriptions, at-least-once deliveries, dead letters."""

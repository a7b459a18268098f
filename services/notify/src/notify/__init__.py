"""Notify service. Every email and SMS the platform sends: templates, delivery log, retries, scheduled sends."""

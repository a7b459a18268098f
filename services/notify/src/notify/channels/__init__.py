"""Channels: email over SMTP and SMS through a provider adapter. Each send either returns a provider
reference or raises ``Temporary`` (try again later) or ``Permanent`` (this message will never go)."""


class Temporary(Exception):
    pass


class Permanent(Exception):
    pass

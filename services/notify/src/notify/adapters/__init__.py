"""Notify's outside systems: the SMS provider (``sms.py``) and SMTP (``smtp.py``), each a Protocol, the
development stub and the production adapter, chosen by NOTIFY_SMS_PROVIDER and NOTIFY_MAIL_ADAPTER.
Each send either returns a provider reference or raises ``Temporary`` (try again later) or ``Permanent``
(this message will never go)."""


class Temporary(Exception):
    pass


class Permanent(Exception):
    pass

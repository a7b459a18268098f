"""The web app: the platform's front-end, server-rendered (FastAPI + Jinja2). It talks only to the gateway
over HTTP and keeps no database. Its first pages are those behind the links in the platform's emails:
an invitation (BK-11) becomes an account, a consent request (JR-2) is approved or denied, a forgotten
password is replaced, an email address is confirmed."""

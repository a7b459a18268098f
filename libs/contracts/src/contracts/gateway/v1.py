"""Events the gateway publishes, major version 1."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from contracts.envelope import Event

Language = Literal["sv", "nb", "nl", "en"]


class ContactDetailsChanged(Event):
    """An account's contact details, for notify's recipient directory. No identity numbers."""

    event_type: Literal["gateway.contact_details_changed.v1"] = "gateway.contact_details_changed.v1"
    aggregate_key = "account_id"

    account_id: UUID
    display_name: str
    email: str | None = None
    phone: str | None = None
    language: Language = "sv"


class LoginCodeRequested(Event):
    """A one-time SMS code for a password login (GW-3). Notify sends it at once; the gateway keeps only
    its hash. The code is a short-lived secret: notify never logs it and does not keep it after sending."""

    event_type: Literal["gateway.login_code_requested.v1"] = "gateway.login_code_requested.v1"
    aggregate_key = "attempt_id"
    secret_fields = ("code",)

    attempt_id: UUID
    account_id: UUID
    phone: str
    language: Language = "sv"
    code: str
    expires_at: datetime


class TemporaryPasswordIssued(Event):
    """An account made by someone else (GW-4, PT-1): notify emails the username and temporary password."""

    event_type: Literal["gateway.temporary_password_issued.v1"] = "gateway.temporary_password_issued.v1"
    aggregate_key = "account_id"
    secret_fields = ("temporary_password",)

    account_id: UUID
    display_name: str
    username: str
    temporary_password: str
    email: str
    language: Language = "sv"
    #: Which product the account is for, so the mail names it: the client portal (made by a care
    #: coordinator), the therapist marketplace (a client a therapist invited or made) or staff work
    purpose: Literal["portal", "marketplace", "staff"] = "portal"


class RegistrationAttempted(Event):
    """Someone tried to sign up, or to make an account, with an email, username or personal number this
    account already has. The answer to them did not say so (no enumeration); notify tells the owner by
    email instead, in the owner's language. Nothing about the attempt beyond that it happened."""

    event_type: Literal["gateway.registration_attempted.v1"] = "gateway.registration_attempted.v1"
    aggregate_key = "account_id"

    account_id: UUID
    language: Language = "sv"


class AccountCreated(Event):
    """A new account exists. ``created_by`` is the account that made it (a therapist creating a client,
    BK-12; a coordinator creating a portal user, PT-1); ``invitation_id`` is set when it was made from a
    booking invitation (BK-11). No identity numbers: ``has_personal_number`` says whether BankID can link."""

    event_type: Literal["gateway.account_created.v1"] = "gateway.account_created.v1"
    aggregate_key = "account_id"

    account_id: UUID
    roles: list[str]
    display_name: str
    created_by: UUID | None = None
    invitation_id: UUID | None = None
    has_personal_number: bool = False


class SessionEnded(Event):
    """Sessions that end before their tokens expire: a logout, a password change (every other session of
    the account), or a refresh token used twice. Every process of every service drops the sessions' access
    tokens at once (kit.sessions). Ids only: the session ids are random and say nothing alone."""

    event_type: Literal["gateway.session_ended.v1"] = "gateway.session_ended.v1"
    aggregate_key = "account_id"

    session_ids: list[UUID]
    account_id: UUID
    reason: Literal["logout", "password_changed", "refresh_token_reused"]
    ended_at: datetime


class PasswordResetRequested(Event):
    """Someone asked for a new password for this account ("Wachtwoord vergeten?"): notify emails the
    single-use link (valid until ``expires_at``). The gateway keeps only the link token's hash; the link is
    a secret, never logged or kept once sent. No event when nothing matched (the answer is the same)."""

    event_type: Literal["gateway.password_reset_requested.v1"] = "gateway.password_reset_requested.v1"
    aggregate_key = "reset_id"
    secret_fields = ("link",)

    reset_id: UUID
    account_id: UUID
    display_name: str
    email: str
    language: Language = "sv"
    link: str
    expires_at: datetime


class VerificationCodeRequested(Event):
    """A one-time code the person types to prove they hold an address: a login code by email (an account
    without a mobile number), a password reset's SMS code, or the code that verifies a newly added email
    or phone (with a one-click ``link`` for an email). The gateway keeps only hashes; ``code`` and ``link``
    are short-lived secrets notify never logs nor keeps after sending."""

    event_type: Literal["gateway.verification_code_requested.v1"] = "gateway.verification_code_requested.v1"
    aggregate_key = "verification_id"
    secret_fields = ("code", "link")

    verification_id: UUID
    account_id: UUID
    purpose: Literal["login", "password_reset", "verify_email", "verify_phone"]
    channel: Literal["email", "sms"]
    to_address: str
    display_name: str = ""
    language: Language = "sv"
    code: str
    link: str | None = None
    expires_at: datetime

# -- the directory: organisations and memberships (tenancy) ----------------------------------------------------------
OrganisationKind = Literal["region", "aid_centre", "municipality", "service_unit", "buffer_store", "clinic",
                           "care_organisation"]
#: What a membership lets its account do in that organisation (and, for a region or municipality, below it):
#: aid_centre_staff (region, aid centre), prescriber (service unit: orders and recipients for it), controller
#: (municipality: may reconcile its invoices), store_keeper (buffer store: own-store work), practitioner (clinic),
#: care_coordinator / client / representative (care organisation)
MembershipRole = Literal["aid_centre_staff", "prescriber", "controller", "store_keeper", "practitioner",
                         "care_coordinator", "client", "representative"]


class OrganisationSaved(Event):
    """An organisation of the directory was made or changed. Organisations are not people: their code and name
    are shown on orders, invoices and printouts, so they travel; nothing about any person does."""

    event_type: Literal["gateway.organisation_saved.v1"] = "gateway.organisation_saved.v1"
    aggregate_key = "organisation_id"

    organisation_id: UUID
    kind: OrganisationKind
    #: region for an aid centre or municipality; municipality for a service unit or buffer store; none else
    parent_id: UUID | None = None
    #: the organisation's own code: municipality code, service-unit code, buffer-store warehouse code
    code: str
    name: str
    time_zone: str = "Europe/Stockholm"
    active: bool = True


class MembershipGranted(Event):
    """An account was given a role in an organisation (by an admin, aid-centre staff or a coordinator). Ids only."""

    event_type: Literal["gateway.membership_granted.v1"] = "gateway.membership_granted.v1"
    aggregate_key = "account_id"

    account_id: UUID
    organisation_id: UUID
    role: MembershipRole
    granted_by: UUID | None = None


class MembershipRevoked(Event):
    """A role in an organisation was taken back: services stop honouring it as soon as this arrives. Ids only."""

    event_type: Literal["gateway.membership_revoked.v1"] = "gateway.membership_revoked.v1"
    aggregate_key = "account_id"

    account_id: UUID
    organisation_id: UUID
    role: MembershipRole
    revoked_by: UUID | None = None

"""Citizens' accounts from single sign-on: one account per (issuer, subject), compared exactly.

OpenID Connect subjects are case-sensitive strings of up to 255 characters of any kind
(``AbCdEf`` and ``abcdef`` are two people; ``+``, ``/`` and ``=`` are common), so they are never
turned into a user name: the account gets a user name derived from a hash of issuer and subject,
and the pair itself is stored in ``external_identities``. A display name the provider sends is
shortened to what an account holds; it never blocks a sign-in.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.bootstrap import Engine
from engine.domain.errors import InvalidState
from engine.persistence.db import unit_of_work
from engine.persistence.identity_tables import TRUST_LEVELS, external_identities, users
from engine.services import identity
from engine.services.identity import User

MAX_SUBJECT = 255           # OpenID Connect Core 1.0, section 2 ("sub")
MAX_ISSUER = 500
MAX_DISPLAY_NAME = 200
FALLBACK_NAME = "Bürgerin/Bürger"
LEGACY_PREFIX = "oidc:"     # accounts of the old sign-in: "oidc:" + lowercased subject as user name


def display_name(raw: str | None) -> str:
    """The provider's name as an account shows it: no control characters, single spaces, at most
    200 characters (cut at a word where possible, marked with an ellipsis)."""
    text = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in raw or "")
    text = " ".join(text.split())
    if len(text) > MAX_DISPLAY_NAME:
        cut = text[:MAX_DISPLAY_NAME - 1]
        word = cut.rsplit(" ", 1)[0]
        text = (word if len(word) >= MAX_DISPLAY_NAME // 2 else cut).rstrip() + "…"
    return text or FALLBACK_NAME


def account_name(issuer: str, subject: str) -> str:
    """The user name of a new single sign-on account: stable, and no two pairs share it."""
    return "sso:" + hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()[:40]


def sign_in_external(engine: Engine, issuer: str, subject: str, name: str | None, trust_level: str) -> User:
    """The citizen account of (issuer, subject), created on the first sign-in; refreshes the
    display name and trust level the provider vouched for this time."""
    _check(issuer, subject, trust_level)
    shown = display_name(name)
    for _attempt in range(2):   # a concurrent first sign-in of the same person wins the insert: read it then
        user_id = _linked(engine, issuer, subject)
        if user_id is None:
            try:
                user_id = _link_new(engine, issuer, subject, shown, trust_level)
            except IntegrityError:
                continue
        return _refresh(engine, user_id, shown, trust_level)
    raise InvalidState(f"sign-in of {issuer} {subject!r} raced twice", user_message="Bitte melden Sie sich erneut an.")


def _check(issuer: str, subject: str, trust_level: str) -> None:
    if not subject or len(subject) > MAX_SUBJECT or "\x00" in subject or not issuer or len(issuer) > MAX_ISSUER:
        raise InvalidState(f"identity provider sent an unusable subject ({len(subject)} characters) or issuer",
                           user_message="Ihr Konto beim Identitätsanbieter kann hier nicht verwendet werden. "
                                        "Bitte wenden Sie sich an die Verwaltung.")
    if trust_level not in TRUST_LEVELS:
        raise InvalidState(f"invalid trust level {trust_level!r}", user_message="Das Vertrauensniveau ist ungültig.")


def _linked(engine: Engine, issuer: str, subject: str) -> str | None:
    e = external_identities
    with engine.db.connect() as conn:
        found = conn.execute(select(e.c.user_id).where(e.c.issuer == issuer, e.c.subject == subject)).scalar()
    return str(found) if found is not None else None


def _link_new(engine: Engine, issuer: str, subject: str, shown: str, trust_level: str) -> str:
    """Link a legacy account this exact subject made, else create one: account and link in one
    transaction (a concurrent first sign-in of the same person fails on a unique key instead)."""
    legacy = identity.get_user(engine, LEGACY_PREFIX + subject) if _legacy_name(subject) else None
    now = engine.clock.now()
    with unit_of_work(engine.db) as uow:
        if legacy is not None and legacy.has_role("citizen") and not _has_link(uow.conn, legacy.id):
            user_id = legacy.id
        else:
            user_id = str(uuid.uuid4())
            uow.conn.execute(insert(users).values(id=user_id, username=account_name(issuer, subject),
                                                  display_name=shown, roles=["citizen"], trust_level=trust_level,
                                                  active=True, created_at=now))
        uow.conn.execute(insert(external_identities).values(issuer=issuer, subject=subject, user_id=user_id,
                                                            created_at=now))
        uow.commit()
    return user_id


def _legacy_name(subject: str) -> bool:
    """Only a subject the old sign-in kept unchanged (lowercase, allowed characters) owns its account."""
    name = LEGACY_PREFIX + subject
    return subject == subject.lower() and len(name) <= 200 and set(name) <= identity.USERNAME_CHARS


def _has_link(conn: Connection, user_id: str) -> bool:
    return conn.execute(select(external_identities.c.user_id)
                        .where(external_identities.c.user_id == user_id).limit(1)).first() is not None


def _refresh(engine: Engine, user_id: str, shown: str, trust_level: str) -> User:
    with unit_of_work(engine.db) as uow:
        row = uow.conn.execute(select(users.c.username, users.c.active).where(users.c.id == user_id)).first()
        if row is None or not row.active:
            raise InvalidState(f"user {user_id} is deactivated", user_message="Ihr Benutzerkonto ist gesperrt.")
        uow.conn.execute(update(users).where(users.c.id == user_id).values(
            display_name=shown, trust_level=trust_level, last_login_at=engine.clock.now()))
        uow.commit()
    user = identity.get_user(engine, row.username)
    assert user is not None
    return user

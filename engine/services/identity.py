"""Identity use cases: local accounts, groups, API tokens, secret case links, demo accounts.

Passwords are stored as werkzeug hashes; API and case-link tokens only as SHA-256 digests,
so that a copy of the database does not hand out access.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from engine.bootstrap import Engine
from engine.domain.errors import Conflict, InvalidState, NotFound
from engine.persistence.db import reading, unit_of_work
from engine.persistence.fast import FastStatement
from engine.tenancy import all_tenants, tenant_or_none
from engine.persistence.identity_tables import (
    ROLES, TRUST_LEVELS, api_tokens, case_access_tokens, groups, user_groups, users,
)

MIN_PASSWORD = 10
BUSINESS_KEY_SCOPE = "business_key"     # token scopes (system rights), see create_api_token
MESSAGE_SCOPE = "message:"
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-:@")


def generate_password_hash(password: str) -> str:
    """Werkzeug's password hash (scrypt), imported when a password is hashed or checked: the
    engine's commands that check none (``amtsflow complete``) load no werkzeug."""
    from werkzeug.security import generate_password_hash as hashed

    return hashed(password)


def check_password_hash(pwhash: str, password: str) -> bool:
    from werkzeug.security import check_password_hash as matches

    return matches(pwhash, password)


@functools.cache
def _dummy_hash() -> str:
    """A valid hash of a random password: checking it costs as much as checking a real one,
    so that response times do not tell whether a user name exists. Made on first use (scrypt
    takes about 0.1 s; at import it slowed every command that imports this module)."""
    return generate_password_hash(secrets.token_hex(16))


def prepare_login_checks() -> None:
    """Make the stand-in hash now (a server at start), so that the first login with an
    unknown name takes no longer than one with a known name."""
    _dummy_hash()


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...] = ()
    trust_level: str | None = None
    email: str | None = None
    active: bool = True
    has_password: bool = False
    scopes: tuple[str, ...] = ()     # signed in with an API token: the system rights it carries

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True)
class ApiToken:
    id: str
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    scopes: tuple[str, ...] = ()


@dataclass
class DemoAccounts:
    passwords: dict[str, str] = field(default_factory=dict)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > 200 or not set(name) <= USERNAME_CHARS:
        raise InvalidState(f"invalid user name {username!r}",
                           user_message="Der Benutzername darf nur Kleinbuchstaben, Ziffern und . _ - enthalten.")
    return name


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    unknown = [r for r in chosen if r not in ROLES]
    if unknown or not chosen:
        raise InvalidState(f"invalid roles {chosen}", user_message="Bitte wählen Sie mindestens eine gültige Rolle.")
    return chosen


def _check_trust(level: str | None) -> str | None:
    if level is not None and level not in TRUST_LEVELS:
        raise InvalidState(f"invalid trust level {level!r}", user_message="Das Vertrauensniveau ist ungültig.")
    return level


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidState("password too short",
                           user_message=f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen lang sein.")
    return generate_password_hash(password)


def _user(conn: Connection, row: Any) -> User:
    names = conn.execute(select(user_groups.c.group_name).where(user_groups.c.user_id == row.id)
                         .order_by(user_groups.c.group_name)).scalars().all()
    return User(id=row.id, username=row.username, display_name=row.display_name, roles=tuple(row.roles or []),
                groups=tuple(names), trust_level=row.trust_level, email=row.email, active=bool(row.active),
                has_password=row.password_hash is not None)


def _row(conn: Connection, username: str) -> Any:
    row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
    if row is None:
        raise NotFound(f"user {username!r} not found", user_message="Das Benutzerkonto wurde nicht gefunden.")
    return row


def create_user(engine: Engine, username: str, display_name: str, *, roles: Iterable[str],
                password: str | None = None, trust_level: str | None = None, email: str | None = None,
                groups_: Iterable[str] = ()) -> User:
    name = _check_username(username)
    if not display_name.strip() or len(display_name) > 200:
        raise InvalidState("invalid display name", user_message="Bitte geben Sie einen Namen (bis 200 Zeichen) an.")
    user_id = str(uuid.uuid4())
    values = dict(id=user_id, username=name, display_name=display_name.strip(), email=email,
                  password_hash=_check_password(password) if password else None, roles=_check_roles(roles),
                  trust_level=_check_trust(trust_level), active=True, created_at=engine.clock.now())
    with unit_of_work(engine.db) as uow:
        if uow.conn.execute(select(users.c.id).where(users.c.username == name)).first() is not None:
            raise Conflict(f"user {name!r} exists", user_message=f"Den Benutzernamen „{name}“ gibt es schon.")
        uow.conn.execute(insert(users).values(**values))
        _set_groups(uow.conn, user_id, list(groups_))
        user = _user(uow.conn, _row(uow.conn, name))
        uow.commit()
    return user


def update_user(engine: Engine, username: str, *, display_name: str | None = None,
                roles: Iterable[str] | None = None, active: bool | None = None, password: str | None = None,
                trust_level: str | None = None, groups_: Iterable[str] | None = None) -> User:
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = display_name.strip()
    if roles is not None:
        changes["roles"] = _check_roles(roles)
    if active is not None:
        changes["active"] = active
    if password:
        changes["password_hash"] = _check_password(password)
    if trust_level is not None:
        changes["trust_level"] = _check_trust(trust_level)
    with unit_of_work(engine.db) as uow:
        row = _row(uow.conn, username)
        if changes:
            uow.conn.execute(update(users).where(users.c.id == row.id).values(**changes))
        if groups_ is not None:
            _set_groups(uow.conn, row.id, list(groups_))
        user = _user(uow.conn, _row(uow.conn, username))
        uow.commit()
    return user


def _set_groups(conn: Connection, user_id: str, names: list[str]) -> None:
    known = set(conn.execute(select(groups.c.name)).scalars())
    missing = sorted(set(names) - known)
    if missing:
        raise NotFound(f"groups {missing} not found", user_message=f"Unbekannte Gruppe: {', '.join(missing)}.")
    conn.execute(delete(user_groups).where(user_groups.c.user_id == user_id))
    for name in sorted(set(names)):
        conn.execute(insert(user_groups).values(user_id=user_id, group_name=name))


def get_user(engine: Engine, username: str) -> User | None:
    with engine.db.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
        return _user(conn, row) if row is not None else None


def list_users(engine: Engine) -> list[User]:
    with engine.db.connect() as conn:
        return [_user(conn, r) for r in conn.execute(select(users).order_by(users.c.username)).all()]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this password, else None (same cost whether the name exists or not)."""
    with engine.db.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip().lower())).first()
    if row is None or row.password_hash is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(row.password_hash, password) or not row.active:
        return None
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(update(users).where(users.c.id == row.id).values(last_login_at=engine.clock.now()))
        user = _user(uow.conn, row)
        uow.commit()
    return user


def sign_in_citizen(engine: Engine, subject: str, display_name: str, trust_level: str,
                    email: str | None = None) -> User:
    """An identity provider vouched for this citizen: create or refresh the account (no password)."""
    name = _check_username(subject)
    existing = get_user(engine, name)
    if existing is None:
        create_user(engine, name, display_name, roles=["citizen"], trust_level=trust_level, email=email)
    elif not existing.active:
        raise InvalidState(f"user {name!r} is deactivated", user_message="Ihr Benutzerkonto ist gesperrt.")
    with unit_of_work(engine.db) as uow:
        row = _row(uow.conn, name)
        uow.conn.execute(update(users).where(users.c.id == row.id).values(
            display_name=display_name, trust_level=_check_trust(trust_level), last_login_at=engine.clock.now()))
        user = _user(uow.conn, _row(uow.conn, name))
        uow.commit()
    return user


def create_group(engine: Engine, name: str, title: str) -> None:
    key = _check_username(name)
    with unit_of_work(engine.db) as uow:
        if uow.conn.execute(select(groups.c.name).where(groups.c.name == key)).first() is not None:
            raise Conflict(f"group {key!r} exists", user_message=f"Die Gruppe „{key}“ gibt es schon.")
        uow.conn.execute(insert(groups).values(name=key, title=title.strip() or key, created_at=engine.clock.now()))
        uow.commit()


def list_groups(engine: Engine) -> list[dict[str, Any]]:
    with engine.db.connect() as conn:
        rows = conn.execute(select(groups).order_by(groups.c.name)).all()
        counts: dict[str, int] = {}
        for name in conn.execute(select(user_groups.c.group_name)).scalars():
            counts[name] = counts.get(name, 0) + 1
    return [{"name": r.name, "title": r.title, "members": counts.get(r.name, 0)} for r in rows]


def create_api_token(engine: Engine, username: str, name: str, *, scopes: Iterable[str] = ()) -> tuple[str, str]:
    """(token id, token): the token is shown once and only its digest is kept. ``scopes`` make
    it a system token: ``business_key`` (may choose a case's Aktenzeichen), ``message:<name>``
    (may send a message its process reserves for systems)."""
    if not name.strip() or len(name) > 200:
        raise InvalidState("invalid token name", user_message="Bitte geben Sie dem Token einen Namen.")
    chosen = check_scopes(scopes)
    token = "amf_" + secrets.token_urlsafe(32)
    token_id = str(uuid.uuid4())
    with unit_of_work(engine.db) as uow:
        row = _row(uow.conn, username)
        uow.conn.execute(insert(api_tokens).values(id=token_id, user_id=row.id, name=name.strip(),
                                                   token_hash=token_digest(token), prefix=token[:10],
                                                   scopes=chosen, created_at=engine.clock.now()))
        uow.commit()
    return token_id, token


def list_api_tokens(engine: Engine) -> list[ApiToken]:
    query = (select(api_tokens, users.c.username).join(users, users.c.id == api_tokens.c.user_id)
             .order_by(api_tokens.c.created_at.desc()))
    with engine.db.connect() as conn:
        return [ApiToken(r.id, r.username, r.name, r.prefix, r.created_at, r.last_used_at, r.revoked_at,
                         tuple(r.scopes or ())) for r in conn.execute(query)]


def revoke_api_token(engine: Engine, token_id: str) -> None:
    with unit_of_work(engine.db) as uow:
        done = uow.conn.execute(update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                                .values(revoked_at=engine.clock.now()))
        if done.rowcount != 1:
            raise NotFound(f"api token {token_id} not found or revoked",
                           user_message="Das Token wurde nicht gefunden oder ist bereits widerrufen.")
        uow.commit()


TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)   # last_used_at is written at most this often per token

# One statement for every request that carries an API token: the token with its account and
# the account's groups (one row per group), looked up across tenants (the token says whose it
# is). Prebuilt and prepared once per connection (engine/persistence/fast.py).
_TOKEN_LOOKUP = FastStatement(
    select(api_tokens.c.id, api_tokens.c.tenant_id, api_tokens.c.token_hash, api_tokens.c.scopes,
           api_tokens.c.last_used_at, api_tokens.c.revoked_at, users.c.id.label("user_id"), users.c.username,
           users.c.display_name, users.c.roles, users.c.trust_level, users.c.email, users.c.active,
           users.c.password_hash, user_groups.c.group_name)
    .join(users, and_(users.c.id == api_tokens.c.user_id, users.c.tenant_id == api_tokens.c.tenant_id))
    .outerjoin(user_groups, and_(user_groups.c.user_id == users.c.id, user_groups.c.tenant_id == users.c.tenant_id))
    .where(api_tokens.c.token_hash == bindparam("digest")))


@dataclass(frozen=True)
class TokenIdentity:
    tenant_id: str
    user: User


def identify_token(engine: Engine, token: str) -> TokenIdentity | None:
    """The tenant and the active account an API token acts for, None for an unknown, revoked
    or inactive one: one read (:data:`_TOKEN_LOOKUP`), looked up across tenants. The token's
    last use is recorded at most once a minute (:data:`TOKEN_USE_RECORDED_EVERY`), not on
    every request."""
    digest = token_digest(token)
    with all_tenants("finding an API token's tenant"), reading(engine.db) as conn:
        rows = _TOKEN_LOOKUP.all(conn, {"digest": digest})
    if not rows:
        return None
    row = rows[0]
    if row.revoked_at is not None or not row.active or not hmac.compare_digest(row.token_hash, digest):
        return None
    user = User(id=row.user_id, username=row.username, display_name=row.display_name, roles=tuple(row.roles or []),
                groups=tuple(sorted(r.group_name for r in rows if r.group_name is not None)),
                trust_level=row.trust_level, email=row.email, active=True,
                has_password=row.password_hash is not None, scopes=tuple(row.scopes or ()))
    now = engine.clock.now()
    last = row.last_used_at
    if last is not None and last.tzinfo is None and now.tzinfo is not None:
        last = last.replace(tzinfo=now.tzinfo)   # SQLite returns naive UTC
    if last is None or now - last >= TOKEN_USE_RECORDED_EVERY:
        with all_tenants("recording an API token's use"), unit_of_work(engine.db) as uow:
            uow.conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
            uow.commit()
    return TokenIdentity(str(row.tenant_id), user)


def tenant_for_token(engine: Engine, token: str) -> str | None:
    """The tenant an API token belongs to, None for an unknown one (or a revoked one, or one
    whose account is inactive). A request with the token acts for this tenant."""
    found = identify_token(engine, token)
    return None if found is None else found.tenant_id


def user_for_token(engine: Engine, token: str) -> User | None:
    """The account an API token acts for, when the token belongs to the tenant the current work
    acts for (or the work acts for all tenants)."""
    found = identify_token(engine, token)
    if found is None:
        return None
    scope = tenant_or_none()
    return found.user if scope is None or scope == found.tenant_id else None


def check_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    for scope in chosen:
        name = scope.removeprefix(MESSAGE_SCOPE)
        if scope != BUSINESS_KEY_SCOPE and not (scope.startswith(MESSAGE_SCOPE) and 0 < len(name) <= 200
                                                and name.strip() == name):
            raise InvalidState(f"invalid token scope {scope!r}",
                               user_message=f"Unbekannte Berechtigung „{scope}“.")
    return chosen


def create_case_link(engine: Engine, case_id: str, created_by: str, expires_at: datetime | None = None) -> str:
    """A secret token that shows one case's status to whoever holds it."""
    token = secrets.token_urlsafe(24)
    with unit_of_work(engine.db) as uow:
        uow.conn.execute(insert(case_access_tokens).values(token_hash=token_digest(token), case_id=case_id,
                                                           created_by=created_by, created_at=engine.clock.now(),
                                                           expires_at=expires_at))
        uow.commit()
    return token


def case_for_link(engine: Engine, token: str) -> str | None:
    with engine.db.connect() as conn:
        row = conn.execute(select(case_access_tokens).where(
            case_access_tokens.c.token_hash == token_digest(token))).first()
    if row is None or (row.expires_at is not None and row.expires_at <= engine.clock.now()):
        return None
    return str(row.case_id)


DEMO_GROUPS = {"sachbearbeitung": "Sachbearbeitung", "kasse": "Kasse", "antragsteller": "Antragstellende"}
DEMO_PEOPLE = [
    # username, display name, roles, groups, trust level
    ("erika", "Erika Mustermann", ["citizen"], [], "substantial"),
    ("sb1", "Sabine Berger", ["clerk"], ["sachbearbeitung"], None),
    ("sb2", "Stefan Brandt", ["clerk"], ["sachbearbeitung"], None),
    ("kasse1", "Karin Schulz", ["clerk"], ["kasse"], None),
    ("po", "Paul Otto", ["owner"], [], None),
    ("admin", "Anna Admin", ["admin"], [], None),
]


def create_demo_accounts(engine: Engine) -> DemoAccounts:
    """Demo groups and people with fresh random passwords (returned so that the demo can print them)."""
    known = {g["name"] for g in list_groups(engine)}
    for name, title in DEMO_GROUPS.items():
        if name not in known:
            create_group(engine, name, title)
    result = DemoAccounts()
    for username, display, roles, member_of, trust in DEMO_PEOPLE:
        password = secrets.token_urlsafe(9)
        if get_user(engine, username) is None:
            # staff get a (simulated) mailbox: a task handed to them is announced there
            email = None if "citizen" in roles else f"{username}@musterstadt.example"
            create_user(engine, username, display, roles=roles, password=password, trust_level=trust, groups_=member_of,
                        email=email)
        else:
            update_user(engine, username, password=password, roles=roles, groups_=member_of, active=True)
        result.passwords[username] = password
    return result

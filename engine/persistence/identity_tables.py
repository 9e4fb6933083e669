"""Identity tables: local accounts, groups, API tokens and secret case links.

They live on the engine's ``metadata`` so that one Alembic history covers the whole schema.
Secrets are never stored: passwords as werkzeug hashes, tokens as SHA-256 hex digests.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON, Boolean, Column, ForeignKey, ForeignKeyConstraint, Index, PrimaryKeyConstraint, String, Table,
    UniqueConstraint,
)

from engine.persistence.tables import ID, TENANT_ID, TS, metadata, tenant_column
from engine.tenancy import DEFAULT_TENANT

ROLES = ("citizen", "clerk", "owner", "admin", "provider")   # provider: operates every tenant (issue 17)
TRUST_LEVELS = ("basic", "substantial", "high")

users = Table(
    "users", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),
    Column("username", String(200), nullable=False),   # unique per tenant
    Column("display_name", String(200), nullable=False),
    Column("email", String(320)),
    Column("password_hash", String(300)),            # None: signs in through an identity provider only
    Column("roles", JSON, nullable=False),           # subset of ROLES
    Column("trust_level", String(20)),               # citizens: basic, substantial, high
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TS, nullable=False),
    Column("last_login_at", TS),
    UniqueConstraint("tenant_id", "username", name="uq_users_username"),
)

groups = Table(
    "groups", metadata,
    Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), nullable=False, server_default=DEFAULT_TENANT),
    Column("name", String(200), nullable=False),      # unique per tenant
    Column("title", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    PrimaryKeyConstraint("tenant_id", "name", name="pk_groups"),
)

user_groups = Table(
    "user_groups", metadata,
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_name", String(200), primary_key=True),
    tenant_column(),
    ForeignKeyConstraint(["tenant_id", "group_name"], ["groups.tenant_id", "groups.name"], ondelete="CASCADE",
                         name="fk_user_groups_group_name_groups"),
    Index("ix_user_groups_group", "tenant_id", "group_name"),
)

# Single sign-on: a citizen's account is the one an identity provider's (issuer, subject) names,
# compared exactly (OpenID Connect: case-sensitive, up to 255 characters, any characters).
external_identities = Table(
    "external_identities", metadata,
    Column("tenant_id", TENANT_ID, ForeignKey("tenants.id"), primary_key=True, server_default=DEFAULT_TENANT),  # the portal's tenant
    Column("issuer", String(500), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", TS, nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", ID, primary_key=True),
    tenant_column(),   # a request with the token acts for this tenant
    Column("user_id", ID, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),    # shown in lists so that people recognise a token
    Column("scopes", JSON),                          # system rights: "business_key", "message:<name>"
    Column("created_at", TS, nullable=False),
    Column("last_used_at", TS),
    Column("revoked_at", TS),
)

case_access_tokens = Table(
    "case_access_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    tenant_column(),
    Column("case_id", ID, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS),
)

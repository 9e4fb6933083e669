"""The tenants of an installation (issue 17; engine/tenancy.py says how work is scoped to one)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, String, Table

from engine.persistence.tables import TS, metadata
from engine.tenancy import TENANT_ID_MAX

tenants = Table(
    "tenants", metadata,
    Column("id", String(TENANT_ID_MAX), primary_key=True),   # a DNS label: musterstadt
    Column("name", String(200), nullable=False),             # "Stadt Musterstadt"
    Column("host", String(253), unique=True),                # musterstadt.serviceportal.example
    Column("path_prefix", String(TENANT_ID_MAX), unique=True),  # /musterstadt/...
    # presentation and documents: logo, colours, addresses, imprint, accessibility statement,
    # public URL (validated by the service that writes them)
    Column("settings", JSON, nullable=False),
    # connector endpoints per tenant; secrets only as the names of environment variables
    Column("connectors", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
)

import contextvars

import pytest

from engine.tenancy import (
    DEFAULT_TENANT, InvalidTenantId, TenantMissing, all_tenants, check_tenant_id, current_scope,
    current_tenant, tenant_or_none, tenant_scope,
)


def outside_any_scope(test):
    """Run ``test`` in an empty context: the suite's session fixture puts every test in the
    default tenant (tests/conftest.py), these tests need to start with no scope at all."""
    def run():
        return contextvars.Context().run(test)
    run.__name__ = test.__name__
    return run


@outside_any_scope
def test_no_scope_refuses_to_name_a_tenant():
    assert current_scope() is None
    with pytest.raises(TenantMissing):
        current_tenant()


@outside_any_scope
def test_scopes_nest_and_are_restored():
    with tenant_scope("musterstadt"):
        assert current_tenant() == "musterstadt"
        with tenant_scope("beispieldorf"):
            assert current_tenant() == "beispieldorf"
        assert current_tenant() == "musterstadt"
        with all_tenants("worker acquires jobs of every tenant"):
            assert tenant_or_none() is None
            with pytest.raises(TenantMissing):
                current_tenant()
        assert current_tenant() == "musterstadt"
    assert current_scope() is None


def test_all_tenants_needs_a_reason():
    with pytest.raises(ValueError):
        with all_tenants(""):
            pass


@pytest.mark.parametrize("bad", ["", "Musterstadt", "-x", "x-", "a_b", "a" * 64, "a.b", "ä"])
def test_tenant_ids_are_dns_labels(bad):
    with pytest.raises(InvalidTenantId):
        check_tenant_id(bad)


@pytest.mark.parametrize("good", [DEFAULT_TENANT, "musterstadt", "bad-muenster-eifel", "a", "a" * 63, "x1"])
def test_valid_tenant_ids(good):
    assert check_tenant_id(good) == good

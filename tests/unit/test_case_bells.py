"""Quiet marks of engine.bell.CaseBells: a case this process left without an open task may be
waited for without a first read, only as long as nothing named the case since its commit."""

from __future__ import annotations

from engine.bell import CaseBells


def _quiet(bells: CaseBells, key: str = "c1", scope: str = "default") -> CaseBells:
    bells.confirm_quiet(key, bells.expect_quiet(key, scope))
    return bells


def test_a_confirmed_mark_makes_the_case_quiet_in_its_tenant_only() -> None:
    bells = _quiet(CaseBells())
    assert bells.quiet("c1", "default")
    assert not bells.quiet("c1", "musterstadt")     # another tenant's waiter reads (and finds nothing)
    assert not bells.quiet("c2", "default")


def test_a_mark_before_its_commit_does_not_count() -> None:
    bells = CaseBells()
    bells.expect_quiet("c1", "default")
    assert not bells.quiet("c1", "default")


def test_a_ring_of_the_case_ends_its_quiet() -> None:
    bells = _quiet(CaseBells())
    bells.ring("c2")
    assert bells.quiet("c1", "default")
    bells.ring("c1")
    assert not bells.quiet("c1", "default")


def test_a_ring_between_mark_and_commit_spoils_the_mark() -> None:
    """Another process's commit after ours was marked, heard before our commit returned."""
    bells = CaseBells()
    mark = bells.expect_quiet("c1", "default")
    bells.ring("c1")
    bells.confirm_quiet("c1", mark)
    assert not bells.quiet("c1", "default")


def test_a_later_mark_replaces_an_earlier_one() -> None:
    bells = CaseBells()
    first = bells.expect_quiet("c1", "default")
    bells.expect_quiet("c1", "default")      # another command of the case (its commit may fail)
    bells.confirm_quiet("c1", first)
    assert not bells.quiet("c1", "default")


def test_a_reconnected_listener_or_shutdown_forgets_every_mark() -> None:
    bells = _quiet(_quiet(CaseBells(), "c2"))
    bells.set()
    assert not bells.quiet("c1", "default") and not bells.quiet("c2", "default")
    bells = _quiet(CaseBells())
    bells.close()
    assert not bells.quiet("c1", "default")


def test_marks_are_bounded_the_oldest_go_first() -> None:
    bells = CaseBells()
    bells.MAX_QUIET = 3
    for key in ("a", "b", "c", "d"):
        _quiet(bells, key)
    assert not bells.quiet("a", "default")
    assert all(bells.quiet(k, "default") for k in ("b", "c", "d"))

"""Ids and hashes that are stored and compared across processes and versions: a service job's
id (engine.services.projections.service_job_id, stored in the case's waits) and the audit
chain's digest must stay what uuid.uuid5 and json.dumps made of them."""

from __future__ import annotations

import hashlib
import json
import random
import string
import uuid
from datetime import date, datetime, timezone

from engine.services import audit
from engine.services.projections import service_job_id


def test_a_service_jobs_id_is_the_uuid5_of_its_case_and_task() -> None:
    rng = random.Random(13)
    for _ in range(2000):
        case_id = str(uuid.UUID(int=rng.getrandbits(128)))
        task_id = "".join(rng.choice(string.printable + "äöüß€") for _ in range(rng.randint(0, 40)))
        expected = str(uuid.uuid5(uuid.NAMESPACE_URL, f"amtsflow:{case_id}:{task_id}:service"))
        assert service_job_id(case_id, task_id) == expected


def test_the_audit_digest_is_the_sha256_of_the_sorted_compact_json() -> None:
    at = datetime(2026, 12, 6, 1, 2, 3, tzinfo=timezone.utc)
    details = {"b": 1, "a": [1, 2.5, {"z": date(2020, 1, 1), "y": "ä"}], "c": None}
    body = json.dumps(["prev", "case", at.isoformat(), "actor", "started", details], sort_keys=True,
                      separators=(",", ":"), default=str)
    assert audit._digest("prev", "case", at, "actor", "started", details) == hashlib.sha256(body.encode()).hexdigest()

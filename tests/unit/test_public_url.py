"""The portal's public address reaches models as portal_url(); the payment return URL uses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import BaseConnector, operation
from engine.bootstrap import expression_functions
from engine.ports import FakeClock, ServiceRequest
from engine.runtime.expressions import SafeEvaluator
from engine.runtime.parsing import SourceFile, parse_bundle

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["bewohnerparkausweis", "gewerbeanmeldung"])
@pytest.mark.parametrize("public_url,expected", [
    ("https://service.musterstadt.example", "https://service.musterstadt.example/zahlung/zurueck?aktenzeichen=2026-AB12"),
    (None, None),
])
def test_payment_return_url_follows_the_configured_portal(service, public_url, expected):
    folder = ROOT / "processes" / service
    files = [SourceFile(p.name, p.read_bytes()) for p in folder.rglob("*") if p.suffix in (".bpmn", ".dmn", ".json")]
    model = parse_bundle(files).processes[service].model
    [call] = [i.service for i in model.elements.values() if i.service and i.service.operation == "payment.create_transaction"]
    evaluator = SafeEvaluator(functions=expression_functions(FakeClock(), public_url))
    assert evaluator.evaluate(call.params["rueckkehr_url"], {"aktenzeichen": "2026-AB12"}) == expected


class _Echo(BaseConnector):
    name = "echo"

    @operation("say", "echo the parameters", params={"type": "object", "properties": {"text": {"type": "string"}},
                                                     "additionalProperties": False}, result={"type": "object"})
    def say(self, params, request):  # noqa: ANN001, ANN201 - test double
        return dict(params)


def test_a_parameter_that_evaluated_to_none_is_absent():
    echo = _Echo()
    result = echo.call("say", ServiceRequest("echo.say", {"text": None}, "k", "c"))
    assert result.data == {}

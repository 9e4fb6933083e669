"""Issue 12.2 on the command line: a taken Aktenzeichen and an ambiguous message are clear errors."""

from __future__ import annotations

from tests.integration.helpers import MODELS
from tests.integration.test_cli import runner  # noqa: F401  (fixture)


def test_a_taken_business_key_is_an_error_with_a_non_zero_exit(runner):  # noqa: F811
    runner("deploy", str(MODELS / "messages.bpmn"))
    first = runner("start", "zahlung", "--business-key", "KZ-1")
    assert first.exit_code == 0
    again = runner("start", "zahlung", "--business-key", "KZ-1")
    assert again.exit_code == 1
    assert "business key 'KZ-1'" in again.output and "already" in again.output
    assigned = runner("start", "zahlung")
    assert assigned.exit_code == 0
    case_id = assigned.output.strip()
    assert '"business_key": "2026-000001"' in runner("case", case_id, "--json").output


def test_an_ambiguous_message_is_an_error_naming_the_cases(runner, tmp_path):  # noqa: F811
    copy = tmp_path / "zahlung_b.bpmn"
    copy.write_text((MODELS / "messages.bpmn").read_text().replace('id="zahlung"', 'id="zahlung_b"')
                    .replace('id="eingang"', 'id="eingang_b"'))
    runner("deploy", str(MODELS / "messages.bpmn"))
    runner("deploy", str(copy))
    a = runner("start", "zahlung", "--business-key", "KZ-1").output.strip()
    b = runner("start", "zahlung_b", "--business-key", "KZ-1").output.strip()
    out = runner("message", "zahlung_eingegangen", "--key", "KZ-1")
    assert out.exit_code == 1 and a in out.output and b in out.output and "delivered to none" in out.output

"""GET /engine-rest/process-instance with Camunda's variable filters (``variables=name_op_value``)
and the other filters in SQL, and /process-instance/count; clerks see the cases they started."""

from __future__ import annotations

from engine.services.variables import set_variables
from tests.engine_rest.conftest import Server
from tests.engine_rest.test_engine_rest import _deploy, _start


def _ids(rest: Server, query: str, who: dict[str, str] | None = None) -> list[str]:
    answer = rest.client.get(f"/engine-rest/process-instance?{query}", headers=who or rest.bearer())
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return sorted(r["id"] for r in answer.get_json())


def test_variable_filters_compare_by_type(rest: Server) -> None:
    _deploy(rest, "pruefung-extern.bpmn")
    erika, max_, eva = _start(rest, "Erika", 5), _start(rest, "Max", 50), _start(rest, "Eva", 7)
    set_variables(rest.engine, eva, {"eilig": True})
    assert _ids(rest, "variables=betrag_gt_10") == [max_]
    assert _ids(rest, "variables=betrag_eq_5") == [erika]
    assert _ids(rest, "variables=betrag_lteq_7") == sorted([erika, eva])
    assert _ids(rest, "variables=antragsteller_like_E%25") == sorted([erika, eva])
    assert _ids(rest, "variables=antragsteller_eq_Erika,betrag_lt_10") == [erika]
    assert _ids(rest, "variables=antragsteller_neq_Erika") == sorted([max_, eva])
    assert _ids(rest, "variables=betrag_eq_Erika") == [] and _ids(rest, "variables=antragsteller_eq_5") == []
    assert _ids(rest, "variables=eilig_eq_true") == [eva] and _ids(rest, "variables=eilig_eq_false") == []
    assert _ids(rest, "variables=fehlt_eq_1") == []
    assert _ids(rest, "processDefinitionKey=pruefung-extern&variables=betrag_gteq_7") == sorted([max_, eva])
    count = rest.client.get("/engine-rest/process-instance/count?variables=betrag_gt_6", headers=rest.bearer())
    assert count.status_code == 200 and count.get_json() == {"count": 2}
    assert _ids(rest, "variables=betrag_gt_0", rest.basic("sb2")) == []       # not started by sb2
    assert len(_ids(rest, "variables=betrag_gt_0", rest.basic("po"))) == 3     # an owner sees all
    for bad in ("variables=betrag_zz_1", "variables=betrag_eq", "variables=a'b_eq_1"):
        answer = rest.client.get(f"/engine-rest/process-instance?{bad}", headers=rest.bearer())
        assert answer.status_code == 400 and answer.get_json()["type"] == "InvalidRequestException", bad

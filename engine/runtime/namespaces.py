"""XML namespaces of the dialects we read."""

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "https://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
)


def tag(local: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{local}"


def local_name(qualified: str) -> str:
    return qualified.rsplit("}", 1)[-1]

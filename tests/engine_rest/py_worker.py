"""A Camunda 7 external-task worker written with the official Python client
(camunda-external-task-client-python3), unchanged except for base URL and API token."""

import sys

from camunda.external_task.external_task import ExternalTask, TaskResult
from camunda.external_task.external_task_worker import ExternalTaskWorker


def handle(task: ExternalTask) -> TaskResult:
    antragsteller, betrag = task.get_variable("antragsteller"), task.get_variable("betrag")
    if antragsteller == "Fehler":
        return task.failure("Fachverfahren nicht erreichbar", "connect ECONNREFUSED (py)", max_retries=1,
                            retry_timeout=50)
    if betrag > 1000:
        return task.bpmn_error("ABGELEHNT", "zu hoch", {"grund": f"Betrag {betrag} zu hoch (py)"})
    return task.complete({"geprueft": True, "pruefer": "py", "ergebnis": {"stufe": 2, "hinweise": ["ok"]}})


if __name__ == "__main__":
    base_url, token = sys.argv[1], sys.argv[2]
    config = {"auth_bearer": {"access_token": token}, "asyncResponseTimeout": 10000, "lockDuration": 20000,
              "maxTasks": 5, "sleepSeconds": 0.2}
    ExternalTaskWorker(worker_id="py-worker", base_url=base_url, config=config).subscribe("pruefen", handle)

// A Camunda 7 external-task worker written with the official JavaScript client, unchanged
// except for its base URL and credentials (HTTP Basic): what an administration already runs.
import { Client, Variables, BasicAuthInterceptor } from "camunda-external-task-client-js";

const [baseUrl, username, password] = process.argv.slice(2);
const client = new Client({
  baseUrl,
  workerId: "js-worker",
  asyncResponseTimeout: 10000,
  lockDuration: 20000,
  interceptors: new BasicAuthInterceptor({ username, password }),
  use: () => {},
});

client.subscribe("pruefen", async ({ task, taskService }) => {
  const antragsteller = task.variables.get("antragsteller");
  const betrag = task.variables.get("betrag");
  if (antragsteller === "Fehler") {
    const retries = task.retries === null ? 1 : task.retries - 1;
    await taskService.handleFailure(task, {
      errorMessage: "Fachverfahren nicht erreichbar", errorDetails: "connect ECONNREFUSED (js)",
      retries, retryTimeout: 50,
    });
  } else if (betrag > 1000) {
    const variables = new Variables().set("grund", `Betrag ${betrag} zu hoch (js)`);
    await taskService.handleBpmnError(task, "ABGELEHNT", "zu hoch", variables);
  } else {
    const variables = new Variables();
    variables.set("geprueft", true);
    variables.set("pruefer", "js");
    variables.set("ergebnis", { stufe: 2, hinweise: ["ok"] });
    await taskService.complete(task, variables);
  }
  console.log(`handled ${task.id}`);
});

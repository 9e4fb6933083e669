"""/engine-rest: the part of the Camunda 7 REST API that Camunda clients use, on our services.

Camunda Modeler deploys and starts processes, external-task workers (the official JavaScript,
Python and Java clients) fetch, lock and complete tasks, scripts correlate messages and work
user tasks, with the request and response shapes of Camunda 7's REST reference. Clients sign
in with an API token (``Authorization: Bearer``) or with an account and password (HTTP Basic);
a browser session is not accepted here (no CSRF exposure). Our authorisation rules apply:
deploying needs a process owner, external tasks and messages a staff account (a system),
business keys and reserved messages a token with the matching scope. Errors come back as
Camunda shapes them: ``{"type": ..., "message": ...}`` with its status codes.
"""

"""Back-office adapters (Fachverfahren) implementing engine.ports.Connector, and their simulators."""

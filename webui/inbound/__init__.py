"""Inbound back-office traffic: signed callbacks and intake that start or continue cases.

The glue between ``connectors`` (protocols, signatures) and ``engine.services`` (cases, messages)
lives here, in the web layer, because the engine never imports a concrete connector.
"""

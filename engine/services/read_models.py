"""What the services hand to the web layer and the API: typed read models.

The web layer imports services and these types, never ``engine.runtime`` or the tables. The
runtime's model descriptions that a page renders (a process model, its elements and forms)
are part of this contract and are named here.
"""

from __future__ import annotations

from engine.runtime.model import ElementInfo, Form, ProcessModel
from engine.runtime.parsing import SourceFile
from engine.runtime.task_owners import OWNERS_GROUP

__all__ = ["OWNERS_GROUP", "ElementInfo", "Form", "ProcessModel", "SourceFile"]

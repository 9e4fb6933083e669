"""Validation of a tenant's settings and connectors (issue 17), kept apart from the use cases.

Every check returns the cleaned value or records a problem: an English message for operators
(CLI, logs) and a German one for people (the provider's admin page), keyed by the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Collection, Mapping
from urllib.parse import urlsplit

from engine.domain.errors import InvalidInput

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
CONNECTOR_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
MIN_CONTRAST = 4.5          # WCAG 2.1 AA for normal text: KERN's buttons put white text on these
TEXT_FIELDS = {             # settings key -> (maximum length, German label)
    "contact_phone": (60, "Telefon"), "contact_email": (320, "E-Mail-Adresse"),
}
URL_FIELDS = {"imprint_url": "Impressum", "accessibility_url": "Erklärung zur Barrierefreiheit",
              "portal_url": "Adresse des Serviceportals"}
COLOUR_FIELDS = {"primary_colour": "Hauptfarbe", "accent_colour": "Akzentfarbe"}
ADDRESS_LINES = 6


@dataclass
class Problems:
    """Problems found so far: field -> (English, German)."""

    found: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, english: str, german: str) -> None:
        self.found.setdefault(name, (english, german))

    def raise_if_any(self, tenant_id: str) -> None:
        if self.found:
            raise TenantInvalid(tenant_id, self.found)


class TenantInvalid(InvalidInput):
    """A tenant's values were refused; ``problems`` maps each field to (English, German)."""

    def __init__(self, tenant_id: str, problems: Mapping[str, tuple[str, str]]) -> None:
        shown = "; ".join(f"{name}: {en}" for name, (en, _de) in problems.items())
        super().__init__(f"tenant {tenant_id!r} refused: {shown}",
                         user_message="Bitte prüfen Sie Ihre Angaben: "
                         + " ".join(de for _en, de in problems.values()))
        self.problems = dict(problems)

    @property
    def field_errors(self) -> dict[str, str]:
        return {name: de for name, (_en, de) in self.problems.items()}


def relative_luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)


def normalise_colour(value: str) -> str:
    digits = value.strip().lstrip("#").lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def check_host(value: str, problems: Problems) -> str | None:
    host = value.strip().lower().rstrip(".")
    if not host:
        return None
    labels = host.split(".")
    if len(host) > 253 or not all(HOST_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        problems.add("host", f"{value!r} is not a valid host name (letters, digits, hyphens, dots; no port)",
                     f"„{value}“ ist kein gültiger Rechnername (z. B. musterstadt.serviceportal.example).")
        return None
    return host


def check_path_prefix(value: str, reserved: Collection[str], problems: Problems) -> str | None:
    prefix = value.strip().strip("/").lower()
    if not prefix:
        return None
    if not HOST_LABEL.match(prefix):
        problems.add("path_prefix", f"path prefix {value!r}: use one segment of lower-case letters, digits "
                     "and inner hyphens", f"Das Pfadpräfix „{value}“ darf nur Kleinbuchstaben, Ziffern und "
                     "Bindestriche enthalten (ein Pfadabschnitt, z. B. musterstadt).")
        return None
    if prefix in reserved:
        problems.add("path_prefix", f"path prefix {prefix!r} is a path of the application itself",
                     f"Das Pfadpräfix „{prefix}“ ist von der Anwendung selbst belegt. Bitte wählen Sie ein anderes.")
        return None
    return prefix


def check_name(value: str, problems: Problems) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 200:
        problems.add("name", "the name must have 1 to 200 characters",
                     "Bitte geben Sie einen Namen mit höchstens 200 Zeichen an.")
    return name


def check_settings(values: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """Presentation and letter settings, cleaned; unknown keys are refused."""
    known = {"logo", "address", *TEXT_FIELDS, *URL_FIELDS, *COLOUR_FIELDS}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in known:
            problems.add(key, f"unknown setting {key!r} (known: {', '.join(sorted(known))})",
                         f"Die Einstellung „{key}“ gibt es nicht.")
    for key, label in COLOUR_FIELDS.items():
        raw = values.get(key)
        if raw in (None, ""):
            continue
        if not isinstance(raw, str) or not HEX_COLOUR.match(raw.strip()):
            problems.add(key, f"{key}: {raw!r} is not a hex colour like #004b87",
                         f"{label}: Bitte geben Sie eine Farbe als Hexadezimalwert an, z. B. #004b87.")
            continue
        colour = normalise_colour(raw)
        ratio = contrast_with_white(colour)
        if ratio < MIN_CONTRAST:
            shown = f"{ratio:.2f}".replace(".", ",")
            problems.add(key, f"{key}: {colour} has a contrast of {ratio:.2f}:1 with white text, below WCAG AA "
                         f"{MIN_CONTRAST}:1", f"{label}: Die Farbe {colour} ist zu hell; weiße Schrift darauf hat "
                         f"nur einen Kontrast von {shown} zu 1 (nötig: mindestens 4,5 zu 1). "
                         "Bitte wählen Sie eine dunklere Farbe.")
            continue
        cleaned[key] = colour
    for key, label in URL_FIELDS.items():
        raw = values.get(key)
        if raw in (None, ""):
            continue
        url = str(raw).strip()
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 2000 or any(c.isspace() for c in url):
            problems.add(key, f"{key}: {raw!r} is not an http(s) URL",
                         f"{label}: Bitte geben Sie eine vollständige Adresse an, die mit https:// beginnt.")
            continue
        cleaned[key] = url
    for key, (limit, label) in TEXT_FIELDS.items():
        raw = values.get(key)
        if raw in (None, ""):
            continue
        text = " ".join(str(raw).split())
        if len(text) > limit or (key == "contact_email" and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text)):
            problems.add(key, f"{key}: {raw!r} is not valid", f"{label}: Die Angabe ist ungültig.")
            continue
        cleaned[key] = text
    address = values.get("address")
    if address not in (None, "", []):
        lines = address.splitlines() if isinstance(address, str) else address
        if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
            problems.add("address", "address: a list of lines", "Anschrift: Bitte geben Sie die Anschrift zeilenweise an.")
        else:
            kept = [" ".join(line.split()) for line in lines if line.strip()]
            if len(kept) > ADDRESS_LINES or any(len(line) > 120 for line in kept):
                problems.add("address", f"address: at most {ADDRESS_LINES} lines of 120 characters",
                             f"Anschrift: höchstens {ADDRESS_LINES} Zeilen mit je 120 Zeichen.")
            elif kept:
                cleaned["address"] = kept
    if values.get("logo"):
        cleaned["logo"] = values["logo"]      # set by set_logo after its own checks
    return cleaned


def check_connectors(values: Mapping[str, Any], problems: Problems) -> dict[str, Any]:
    """``{name: {"url": ..., "secrets": {"parameter": "ENV_VAR_NAME"}}}``: endpoints per connector;
    secrets only as names of environment variables, never the secret itself."""
    cleaned: dict[str, Any] = {}
    for name, config in values.items():
        key = f"connectors.{name}"
        if not CONNECTOR_NAME.match(str(name)) or not isinstance(config, Mapping):
            problems.add(key, f"connector {name!r}: a name like 'payment' with an object of url and secrets",
                         f"Anbindung „{name}“: ungültiger Name oder ungültige Angaben.")
            continue
        unknown = set(config) - {"url", "secrets"}
        if unknown:
            problems.add(key, f"connector {name!r}: unknown keys {sorted(unknown)} (only url and secrets; "
                         "secrets are names of environment variables)",
                         f"Anbindung „{name}“: nur Adresse und Namen von Umgebungsvariablen für Geheimnisse sind erlaubt.")
            continue
        entry: dict[str, Any] = {}
        url = str(config.get("url") or "").strip()
        parts = urlsplit(url)
        if url and (parts.scheme not in ("https", "http") or not parts.netloc or parts.username or parts.password):
            problems.add(key, f"connector {name!r}: url must be http(s) without credentials in it",
                         f"Anbindung „{name}“: Die Adresse muss mit https:// beginnen und darf keine Zugangsdaten enthalten.")
            continue
        if url:
            entry["url"] = url
        secrets = config.get("secrets") or {}
        if not isinstance(secrets, Mapping) or not all(
                isinstance(v, str) and ENV_NAME.match(v) and CONNECTOR_NAME.match(str(k)) for k, v in secrets.items()):
            problems.add(key, f"connector {name!r}: secrets must map parameter names to names of environment "
                         "variables (like PAYMENT_API_KEY), never to the secret itself",
                         f"Anbindung „{name}“: Geheimnisse nur als Namen von Umgebungsvariablen angeben "
                         "(z. B. MUSTERSTADT_PAYMENT_KEY), nie das Geheimnis selbst.")
            continue
        if secrets:
            entry["secrets"] = dict(secrets)
        cleaned[str(name)] = entry
    return cleaned

"""Idempotency keys and recognisable labels: derived, never random, stored before use.

The create key is a pure function of (panel, service, action, generation), so every retry,
by any process, after any crash, sends the same ``Idempotency-Key`` and Otwa replays the
first answer instead of ordering a second server. ``epoch`` moves only when Otwa refused a
create definitively (nothing created, e.g. 402) and the reseller asks again, so the new try
is not answered from Otwa's cached refusal.
"""

from __future__ import annotations

import re
import uuid

# Fixed namespace: changing it would change every key and break replays of in-flight orders.
NAMESPACE = uuid.UUID("6f1d3f0e-8a52-5b1c-9a57-0b7a1d2e4c61")
_LABEL_CHARS = re.compile(r"[^A-Za-z0-9 _-]+")
# An Otwa server id as a panel may hand it over (adopt): UUID-like, no paths, no spaces.
SERVER_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_LABEL = 64


def idempotency_key(
    panel: str, service_id: str, action: str, generation: int, *, epoch: int = 0, extra: str = ""
) -> str:
    """``otwa-bridge-<uuid5>`` over ``panel:service:action:generation[:eN][:extra]``."""
    name = f"{panel}:{service_id}:{action}:{generation}"
    if epoch:
        name += f":e{epoch}"
    if extra:
        name += f":{extra}"
    return f"otwa-bridge-{uuid.uuid5(NAMESPACE, name)}"


def rename_label(requested: str, ordered_label: str) -> str:
    """The label a rename sets: the requested text, then the ordered label (the part that
    names panel, service and generation) so the server stays recognisable; at most 64."""
    text = _LABEL_CHARS.sub(" ", requested).strip()
    text = re.sub(r"\s+", " ", text)
    room = MAX_LABEL - len(ordered_label) - 1
    if not text or room <= 0:
        return ordered_label
    text = text[:room].rstrip()
    if not text[0].isalnum():
        text = text.lstrip(" _-")
        if not text:
            return ordered_label
    return f"{text} {ordered_label}"


def label_matches(server_label: str | None, ordered_label: str) -> bool:
    """True when ``server_label`` is ``ordered_label`` or a rename of it (see rename_label)."""
    if not server_label:
        return False
    return server_label == ordered_label or server_label.endswith(" " + ordered_label)

"""Hook actions answered at once: the reply is the whole work, no operation is recorded and
no job queued (``validate``: the products map only; ``sso_link``: a signed link, no Otwa
call). Each maps to one function of the area that owns the answer.

The reply is still remembered under the hook's ``webhook-id`` (a replay gets it again,
verbatim); actions whose reply is a credential are listed in ``SECRET_REPLIES`` and their
replay is a refusal instead.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from bridge.commands import Command, Outcome
from bridge.provisioning import checks
from bridge.runtime import Bridge
from bridge.web import sso

Answer = Callable[[Bridge, sqlite_utils.Database, Command], Outcome]

ANSWERS: dict[str, Answer] = {
    "validate": checks.validate,
    "sso_link": sso.answer_sso_link,
}

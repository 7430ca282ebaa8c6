"""What every panel adapter does, and the vocabulary it shares with provisioning.

A :class:`Panel` owns everything about one billing panel: reading its hook bodies into
:class:`~bridge.commands.Command`\\ s, rendering an :class:`~bridge.commands.Outcome` as
its reply, writing a server's IPs and credentials back into it, and telling its admins
when something failed for good. Provisioning only ever talks to this interface, so
adding a panel is one module plus one line in :mod:`bridge.panels.registry`.

Panel calls raise :class:`PanelUnavailable` (try again later: unreachable, 5xx, 429) or
:class:`PanelRefused` (a definitive answer an admin must act on); provisioning turns them
into retries or a failed operation. Nothing here stores or logs a password.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import requests

from bridge.commands import ACTIONS, Command, Outcome
from bridge.panels import schemas
from bridge.panels.config import PanelConfig

# What a write-back tells the panel.
SERVER_READY = "server.ready"  # a new server's IPs and credentials
SERVER_REINSTALLED = "server.reinstalled"  # same server, new OS and credentials
PASSWORD_RESET = "password.reset"  # noqa: S105 - an event name: new credentials
SERVER_ADOPTED = "server.adopted"  # an existing server linked to the service (adopt)
WRITEBACK_EVENTS = (SERVER_READY, SERVER_REINSTALLED, PASSWORD_RESET, SERVER_ADOPTED)


class PanelUnavailable(Exception):
    """The panel could not take the call now (unreachable, 5xx, 429); retry later."""


class PanelRefused(Exception):
    """The panel answered definitively (an error result, a 4xx); ``message`` says what an
    admin should fix. Never carries a secret."""


@dataclass(frozen=True)
class WriteBack:
    """A server's state to write into the panel's service record.

    ``password`` is a secret fetched from Otwa moments before; adapters send it to the
    panel and forget it.
    """

    event: str
    operation_id: str
    service_id: str
    server_id: str
    ip: str | None = None
    additional_ips: tuple[str, ...] | None = None  # None: unknown, leave the panel's as is
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    occurred_at: float = 0.0


@dataclass(frozen=True)
class Notice:
    """An admin notification (no secrets in it): an operation failed for good, or
    (``event`` ``ledger.alert``) the ledger's warning about the Otwa wallet; then
    ``operation_id`` is the alert's id and ``action`` what it is about."""

    operation_id: str
    action: str
    service_id: str
    code: str
    subject: str
    message: str
    occurred_at: float = 0.0
    event: str = "operation.failed"


class Panel(ABC):
    """One configured billing panel. Subclasses set ``SCHEMA`` and ``ALIASES`` and
    implement :meth:`to_command`, :meth:`write_back` and :meth:`notify_admins`."""

    SCHEMA: ClassVar[str]
    # The panel's own spellings of actions (e.g. WHMCS function names) -> bridge actions.
    ALIASES: ClassVar[Mapping[str, str]] = {}

    def __init__(self, config: PanelConfig, *, session: requests.Session | None = None) -> None:
        self.config = config
        self.name = config.name
        self._session = session or _session()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    # -- reading hooks -----------------------------------------------------------------

    def action_of(self, body: Mapping[str, Any]) -> str | None:
        """The bridge action ``body["action"]`` names (a bridge name or an alias), or None."""
        action = body.get("action")
        if not isinstance(action, str):
            return None
        action = self.ALIASES.get(action, action)
        return action if action in ACTIONS else None

    def schema_errors(self, body: Any) -> list[dict[str, str]]:
        """Every schema error of ``body`` (``{"path", "message"}``); empty when valid."""
        return schemas.errors(self.SCHEMA, body)

    @abstractmethod
    def to_command(
        self, body: Mapping[str, Any], *, webhook_id: str, request_id: str | None = None
    ) -> Command:
        """The (schema-valid, action already resolved) body as a Command."""

    def render(self, outcome: Outcome) -> Outcome:
        """The reply in this panel's dialect; the pinned shape unless a panel needs more."""
        return outcome

    # -- talking to the panel ----------------------------------------------------------

    @property
    def can_write_back(self) -> bool:
        """Whether write-back is configured; without it write-back is skipped (logged)."""
        return False

    @abstractmethod
    def write_back(self, update: WriteBack, *, timeout: float) -> None:
        """Write ``update`` into the panel's service record. Raises PanelUnavailable /
        PanelRefused. Must be safe to repeat (the job queue retries it)."""

    @abstractmethod
    def notify_admins(self, notice: Notice, *, timeout: float) -> bool:
        """Tell the panel's staff; False when this panel is not set up to be told."""

    def _post(self, url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
        """POST without following redirects: a 3xx would re-send credentials elsewhere."""
        try:
            response = self._session.post(url, timeout=timeout, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise PanelUnavailable(
                f"panel {self.name} unreachable ({type(exc).__name__})"
            ) from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise PanelUnavailable(f"panel {self.name} answered HTTP {response.status_code}")
        if 300 <= response.status_code < 400:
            raise PanelRefused(
                f"panel {self.name} answered a redirect (HTTP {response.status_code}); "
                "redirects are never followed: set the panel's final URL in config/bridge.toml"
            )
        return response


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = True
    return session


def panel_action_names(panel: Panel) -> list[str]:
    """Every spelling ``panel`` accepts for an action (for error messages)."""
    return sorted(set(ACTIONS) | set(panel.ALIASES))

"""The Otwa Cloud API client: one object per key, typed results, typed errors.

Contract:

* One ``requests.Session`` per client (shared by :meth:`OtwaClient.with_options` copies);
  every request has a timeout, ``Authorization: Bearer <key>`` and an ``X-Request-Id``
  (the ``request_id`` option, else a fresh ``req_<hex>`` per call, the same on its retries).
* Every call takes a slot from the shared :class:`~bridge.otwa.budget.Budget` (when one is
  given) before each attempt, and feeds back ``X-RateLimit-Remaining`` / ``-Reset`` and 429s.
* Retries follow :mod:`bridge.otwa.retry`: connection errors, timeouts, 5xx and 429 are
  retried with capped, full-jitter exponential backoff; writes only when they carry an
  ``Idempotency-Key`` (``create_server``, ``reinstall``).
* Errors are :mod:`bridge.otwa.errors` classes; results are :mod:`bridge.otwa.models`.
* The key is registered with :func:`bridge.logs.register_secret` at construction; one
  structured log line per attempt (method, path template, status, attempt, request id,
  elapsed ms), DEBUG for successful reads, INFO otherwise. Passwords and SSO URLs in
  responses are registered as secrets when parsed.
"""

from __future__ import annotations

import copy
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import requests
from requests.structures import CaseInsensitiveDict

from bridge.logs import redact, register_secret
from bridge.otwa import errors, models
from bridge.otwa.budget import PRIORITIES, Budget, Priority
from bridge.otwa.retry import (
    Backoff,
    default_sleep,
    exponential_backoff,
    may_retry,
    parse_reset,
    server_wait,
    wait_before_retry,
)

log = logging.getLogger("bridge.otwa")

DEFAULT_BASE_URL = "http://127.0.0.1:8780/api/v1"
POWER_ACTIONS = ("start", "stop", "reboot")
USER_AGENT = "otwa-bridge"
_UNSET: Any = object()


def _session(base_url: str) -> requests.Session:
    """A session that reads the environment's proxy and CA settings once, here, instead of
    on every request (requests' ``trust_env`` scans all of ``os.environ`` per call)."""
    session = requests.Session()
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
    return session


def new_request_id() -> str:
    """A fresh request id, ``req_`` + 24 hex characters."""
    return "req_" + uuid.uuid4().hex[:24]


class OtwaClient:
    """A client of the Otwa v1.9 API for one API key (see the module docstring).

    ``priority`` ranks this client's calls in the shared budget (``interactive`` for a
    customer waiting, ``background`` for everything else); ``budget_wait`` is how long a
    call may wait for a budget slot (None: the budget's default, 0: raise at once).
    ``backoff(n)`` gives the wait before the n-th retry and ``sleep`` performs waits;
    both exist so tests run without real delays.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 4,
        budget: Budget | None = None,
        priority: Priority = "background",
        request_id: str | None = None,
        session: requests.Session | None = None,
        budget_wait: float | None = None,
        backoff: Backoff | None = None,
        sleep: Any = None,
    ) -> None:
        if not api_key or not isinstance(api_key, str):
            raise ValueError("an Otwa API key is required (settings: OTWA_API_KEY)")
        if priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, not {priority!r}")
        register_secret(api_key)
        self._api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.budget = budget
        self.priority: Priority = priority
        self.request_id = request_id
        self.session = session if session is not None else _session(self.base_url)
        self.budget_wait = budget_wait
        self.backoff: Backoff = backoff or exponential_backoff()
        self.sleep = sleep or default_sleep

    def __repr__(self) -> str:
        return f"OtwaClient(base_url={self.base_url!r}, priority={self.priority!r})"

    def with_options(
        self,
        *,
        priority: Priority | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        budget_wait: float | None = _UNSET,
        request_id: str | None = _UNSET,
    ) -> OtwaClient:
        """A cheap copy (same key, session and budget) with some options overridden."""
        clone = copy.copy(self)
        if priority is not None:
            if priority not in PRIORITIES:
                raise ValueError(f"priority must be one of {PRIORITIES}, not {priority!r}")
            clone.priority = priority
        if max_retries is not None:
            clone.max_retries = max(0, int(max_retries))
        if timeout is not None:
            clone.timeout = float(timeout)
        if budget_wait is not _UNSET:
            clone.budget_wait = budget_wait
        if request_id is not _UNSET:
            clone.request_id = request_id
        return clone

    # -- transport: one call = the retry loop over single attempts ------------------------

    def _request(
        self,
        method: str,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
        auth: bool = True,
    ) -> tuple[Any, CaseInsensitiveDict[str]]:
        """Send one call with retries; return (parsed JSON or None, response headers).

        The loop is here; what one attempt does is :meth:`_attempt`; whether and when to try
        again is :func:`bridge.otwa.retry.wait_before_retry`.
        """
        call = self._prepare(method, template, path_params, json, idempotency_key, auth)
        attempt = 0
        last_error: errors.OtwaError | None = None
        while True:
            attempt += 1
            try:
                return self._attempt(call, attempt, cause=last_error)
            except errors.BudgetExhausted:
                raise  # nothing was sent; the caller decides when to come back
            except errors.OtwaError as error:
                wait = wait_before_retry(
                    error,
                    attempt=attempt,
                    max_retries=self.max_retries,
                    may_resend=call.may_resend,
                    paced_by_budget=call.budgeted,
                    backoff=self.backoff,
                    max_wait=self._max_wait,
                )
                if wait is None:
                    raise
                last_error = error
                self.sleep(wait)

    @property
    def _max_wait(self) -> float:
        return self.budget.window if self.budget is not None else 60.0

    def _prepare(
        self,
        method: str,
        template: str,
        path_params: Mapping[str, Any] | None,
        json: Any,
        idempotency_key: str | None,
        auth: bool,
    ) -> _Call:
        """Everything every attempt of the call sends: URL, headers, body, request id."""
        path = template.format(
            **{k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        )
        request_id = self.request_id or new_request_id()
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "X-Request-Id": request_id,
        }
        if auth:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return _Call(
            method=method,
            template=template,
            url=self.base_url + path,
            headers=headers,
            json=json,
            request_id=request_id,
            may_resend=may_retry(method, bool(idempotency_key)),
            idempotent=bool(idempotency_key),
            budgeted=self.budget is not None and auth,
        )

    def _attempt(
        self, call: _Call, attempt: int, *, cause: errors.OtwaError | None
    ) -> tuple[Any, CaseInsensitiveDict[str]]:
        """One attempt: a budget slot, the request, the budget fed back, the answer parsed.

        Returns (body, headers) for a 2xx; raises the matching :mod:`errors` class
        otherwise (``BudgetExhausted`` when no slot came in time: nothing was sent).
        """
        if call.budgeted:
            assert self.budget is not None
            try:
                self.budget.acquire(self._api_key, priority=self.priority, wait=self.budget_wait)
            except errors.BudgetExhausted as exhausted:
                exhausted.request_id = call.request_id
                raise exhausted from cause  # a retry found no slot: keep the cause
        started = time.monotonic()
        try:
            response = self.session.request(
                call.method,
                call.url,
                headers=call.headers,
                json=call.json,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            if call.budgeted:
                assert self.budget is not None
                self.budget.observe(self._api_key)  # no answer: the slot is not in flight
            error = _transport_error(call, exc, self.timeout)
            self._log(call, None, attempt, call.request_id, _ms(started), False, error)
            raise error from None
        request_id = response.headers.get("X-Request-Id") or call.request_id
        if call.budgeted:
            assert self.budget is not None
            self.budget.observe(
                self._api_key,
                remaining=_int_header(response.headers.get("X-RateLimit-Remaining")),
                reset_after=parse_reset(response.headers.get("X-RateLimit-Reset")),
                limited=response.status_code == 429,
            )
        ok = 200 <= response.status_code < 300
        self._log(call, response.status_code, attempt, request_id, _ms(started), ok)
        body, parsed = _json(response)
        if ok and parsed:
            return body, response.headers
        raise _response_error(call, response, body, parsed, request_id, self._max_wait)

    def _log(
        self,
        call: _Call,
        status: int | None,
        attempt: int,
        request_id: str,
        elapsed_ms: float,
        ok: bool,
        error: errors.OtwaError | None = None,
    ) -> None:
        level = logging.DEBUG if ok and call.method == "GET" else logging.INFO
        if not log.isEnabledFor(level):
            return
        outcome = status if status is not None else type(error).__name__
        log.log(
            level,
            "otwa %s %s -> %s (attempt %d, %.0f ms)",
            call.method,
            call.template,
            outcome,
            attempt,
            elapsed_ms,
            extra={
                "method": call.method,
                "path": call.template,
                "status": status,
                "attempt": attempt,
                "request_id": request_id,
                "elapsed_ms": elapsed_ms,
                "priority": self.priority,
                **({"error": redact(str(error))} if error is not None else {}),
            },
        )

    def _get(self, template: str, **params: Any) -> Any:
        return self._request("GET", template, path_params=params)[0]

    # -- account and catalog -----------------------------------------------------------------

    def account(self) -> models.Account:
        """``GET /account`` (account:read)."""
        return models.Account.from_dict(_obj(self._get("/account")))

    def reseller(self) -> models.Reseller:
        """``GET /reseller`` (account:read)."""
        return models.Reseller.from_dict(_obj(self._get("/reseller")))

    def products(self) -> list[models.Product]:
        """``GET /products`` (account:read); wholesale prices for reseller keys."""
        return [models.Product.from_dict(p) for p in _items(self._get("/products"))]

    def regions(self) -> list[models.Region]:
        """``GET /regions`` (account:read)."""
        return [models.Region.from_dict(r) for r in _items(self._get("/regions"))]

    def os_templates(self) -> list[models.OsTemplate]:
        """``GET /os-templates`` (account:read)."""
        return [models.OsTemplate.from_dict(t) for t in _items(self._get("/os-templates"))]

    def affiliate_rule(self) -> models.AffiliateRule:
        """``GET /public/affiliates/rule`` (no key sent, no budget slot taken)."""
        body, _ = self._request("GET", "/public/affiliates/rule", auth=False)
        return models.AffiliateRule.from_dict(_obj(body))

    def sso(self, next: str | None = None) -> models.SsoLink:
        """``POST /sso`` (servers:write): a 5-minute, single-use dashboard login link."""
        body, _ = self._request("POST", "/sso", json={"next": next} if next else {})
        return models.SsoLink.from_dict(_obj(body))

    # -- servers -----------------------------------------------------------------------------

    def list_servers(self) -> list[models.Server]:
        """``GET /servers`` (servers:read): every server of the account, in one call."""
        return [models.Server.from_dict(s) for s in _items(self._get("/servers"))]

    def get_server(self, id: str) -> models.Server:
        """``GET /servers/:id`` (servers:read)."""
        return models.Server.from_dict(_obj(self._get("/servers/{id}", id=id)))

    def create_server(
        self,
        *,
        product_id: str,
        os: str,
        os_template: str,
        idempotency_key: str,
        region: str | None = None,
        label: str | None = None,
        hostname: str | None = None,
        addons: list[str] | None = None,
    ) -> models.Server:
        """``POST /servers`` (servers:write): order a server; the wallet is charged at once.

        ``idempotency_key`` is required: retries (here and by the caller) with the same key
        within 24 h return the first result (``Server.replayed``), never a second server.
        """
        if not idempotency_key:
            raise ValueError("create_server needs an idempotency_key")
        payload: dict[str, Any] = {"productId": product_id, "os": os, "osTemplate": os_template}
        for name, value in (("region", region), ("label", label), ("hostname", hostname)):
            if value is not None:
                payload[name] = value
        if addons:
            payload["addons"] = list(addons)
        body, headers = self._request(
            "POST", "/servers", json=payload, idempotency_key=idempotency_key
        )
        return models.Server.from_dict(_obj(body), replayed=_replayed(headers))

    def rename_server(self, id: str, label: str) -> models.Server:
        """``PATCH /servers/:id/label`` (servers:write). Cosmetic: hostname is unchanged."""
        body, _ = self._request(
            "PATCH", "/servers/{id}/label", path_params={"id": id}, json={"label": label}
        )
        data = _obj(body)
        return models.Server.from_dict({"id": id, "label": label, **data})

    def delete_server(self, id: str) -> None:
        """``DELETE /servers/:id`` (servers:destroy): terminate now. Not retried."""
        self._request("DELETE", "/servers/{id}", path_params={"id": id})

    def power(self, id: str, action: Literal["start", "stop", "reboot"]) -> str:
        """``POST /servers/:id/power/:action`` (servers:write); returns the transitional
        status word (``starting`` / ``stopping`` / ``rebooting``). Not retried."""
        if action not in POWER_ACTIONS:
            raise ValueError(f"power action must be one of {POWER_ACTIONS}, not {action!r}")
        body, _ = self._request(
            "POST", "/servers/{id}/power/{action}", path_params={"id": id, "action": action}
        )
        return str(_obj(body).get("status") or "")

    def credentials(self, id: str) -> models.Credentials:
        """``GET /servers/:id/credentials`` (servers:read). The password is a secret."""
        return models.Credentials.from_dict(_obj(self._get("/servers/{id}/credentials", id=id)))

    def stats(self, id: str) -> models.Stats:
        """``GET /servers/:id/stats`` (servers:read)."""
        return models.Stats.from_dict(_obj(self._get("/servers/{id}/stats", id=id)))

    def reset_password(self, id: str) -> models.Credentials:
        """``POST /servers/:id/password-reset`` (servers:write): the new credential. Not retried."""
        body, _ = self._request("POST", "/servers/{id}/password-reset", path_params={"id": id})
        return models.Credentials.from_dict(_obj(body))

    def reinstall(
        self,
        id: str,
        *,
        os: str,
        os_template: str,
        idempotency_key: str,
    ) -> models.Server:
        """``POST /servers/:id/reinstall`` (servers:destroy): wipe and rebuild; keeps id,
        label, region, IPs and add-ons. Retried safely under ``idempotency_key``."""
        if not idempotency_key:
            raise ValueError("reinstall needs an idempotency_key")
        body, headers = self._request(
            "POST",
            "/servers/{id}/reinstall",
            path_params={"id": id},
            json={"os": os, "osTemplate": os_template},
            idempotency_key=idempotency_key,
        )
        data = _obj(body)
        return models.Server.from_dict({"id": id, **data}, replayed=_replayed(headers))

    def addons(self, id: str) -> list[models.AddonOffer]:
        """``GET /servers/:id/addons`` (servers:read): offers, prorated prices, active types."""
        return [
            models.AddonOffer.from_dict(a) for a in _items(self._get("/servers/{id}/addons", id=id))
        ]

    def buy_addon(self, id: str, addon_id: str) -> models.AddonPurchase:
        """``POST /servers/:id/addons`` (servers:write): attach; prorated price charged now.
        Not retried (no idempotency on this endpoint)."""
        body, _ = self._request(
            "POST", "/servers/{id}/addons", path_params={"id": id}, json={"addonId": addon_id}
        )
        return models.AddonPurchase.from_dict(_obj(body))

    def server_sso(self, id: str, next: str | None = None) -> models.SsoLink:
        """``POST /servers/:id/sso`` (servers:write): a login link to one server's page."""
        body, _ = self._request(
            "POST", "/servers/{id}/sso", path_params={"id": id}, json={"next": next} if next else {}
        )
        return models.SsoLink.from_dict(_obj(body))


@dataclass(frozen=True)
class _Call:
    """One API call as every attempt of it sends it."""

    method: str
    template: str
    url: str
    headers: dict[str, str]
    json: Any
    request_id: str
    may_resend: bool  # a GET, or a write under an Idempotency-Key
    idempotent: bool
    budgeted: bool


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _transport_error(
    call: _Call, exc: requests.RequestException, timeout: float
) -> errors.OtwaError:
    """No HTTP answer: a timeout, or a connection that failed or broke."""
    if isinstance(exc, requests.Timeout):
        return errors.OtwaTimeout(
            f"{call.method} {call.template} timed out after {timeout:g}s ({type(exc).__name__})",
            request_id=call.request_id,
        )
    return errors.OtwaConnectionError(
        f"{call.method} {call.template} failed: {type(exc).__name__}: {exc}",
        request_id=call.request_id,
        retryable=isinstance(
            exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError
        ),
    )


def _response_error(
    call: _Call,
    response: requests.Response,
    body: Any,
    parsed: bool,
    request_id: str,
    max_wait: float,
) -> errors.OtwaError:
    """The error for an answer that is not a usable 2xx (a redirect is never followed)."""
    status = response.status_code
    if 200 <= status < 300:  # a 2xx whose body is not JSON
        return errors.OtwaAPIError(
            f"{call.method} {call.template} answered {status} with a body that is not JSON",
            status=status,
            request_id=request_id,
        )
    if 300 <= status < 400:
        return errors.OtwaAPIError(
            f"{call.method} {call.template} answered a redirect ({status}); redirects are "
            "never followed: check OTWA_BASE_URL",
            status=status,
            request_id=request_id,
        )
    error = errors.error_from_response(
        status,
        body,
        request_id=request_id,
        reason=response.reason or "",
        reset_after=server_wait(response.headers, max_wait=max_wait),
        idempotent=call.idempotent,
    )
    error.retry_after = parse_reset(response.headers.get("Retry-After"))
    return error


def _json(response: requests.Response) -> tuple[Any, bool]:
    """(parsed body, ok): an empty body parses to None; a non-JSON body is (text, False)."""
    if not response.content or response.status_code == 204:
        return None, True
    try:
        return response.json(), True
    except ValueError:
        return redact(response.text[:200]), False


def _obj(body: Any) -> dict[str, Any]:
    return body if isinstance(body, dict) else {}


def _items(body: Any) -> list[dict[str, Any]]:
    """A list response; a ``{"data": [...]}`` / ``{"items": [...]}`` envelope is tolerated."""
    if isinstance(body, dict):
        body = body.get("data", body.get("items", []))
    return [item for item in body or [] if isinstance(item, dict)]


def _replayed(headers: Mapping[str, str]) -> bool:
    return str(headers.get("Idempotent-Replayed", "")).strip().lower() in {"true", "1", "yes"}


def _int_header(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None

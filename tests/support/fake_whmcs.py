"""A small fake of WHMCS run as a real process in tests: its API, its state, and what the
PHP module needs from WHMCS around it (module ``$params``, service properties, localAPI).

Run: ``python -m tests.support.fake_whmcs --port P [--identifier I --secret S]``.

State (``POST /_fake/seed``, ``GET /_fake/state``): servers, products (module settings,
configurable options with WHMCS's option types, custom fields), product add-ons, clients,
services (status, IPs, usage, chosen options, custom field values), service add-ons and
invoices. Unseeded, it behaves like the old stateless fake: an unknown service id is
created on first ``UpdateClientProduct``.

* ``POST /includes/api.php`` (form-encoded, like WHMCS): the credential must match and the
  action must be in the credential's **API role** (``PUT /_fake/role``), else WHMCS's
  ``{"result": "error", "message": "Invalid Permissions: API action \"X\" is not allowed"}``.
  Actions: UpdateClientProduct, SendEmail, SendAdminEmail, GetClientsProducts,
  GetProducts, GetInvoice, GetClientsDetails, GetServers, LogActivity.
* ``POST /_fake/localapi`` ``{"command", "data"}``: WHMCS's in-process ``localAPI`` (no
  credential, no role), used by the PHP harness.
* ``GET /_fake/params?serviceid=N`` or ``?addonid=N``: the module ``$params`` WHMCS would
  build (``\\WHMCS\\Module\\Server::buildParams``): option and custom-field names and
  sub-option values cut at ``|``, yes/no and quantity options as the quantity, add-ons with
  ``addonId`` and the parent's ``serviceid``. ``GET /_fake/server-params?serverid=N``.
* ``GET|POST /_fake/properties``: ``serviceProperties->get/save`` (creates the custom
  field on first save, as WHMCS does).
* ``GET /_fake/calls`` (``?action=``), ``POST /_fake/fail`` ``{"count", "mode"}``
  (``500`` | ``error`` | ``drop``), ``POST /_fake/reset``.

:class:`FakeWhmcs` starts it and wraps the control API for tests.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

# The API role of the bridge's credential, exactly as docs/panels/whmcs.md section 2 tells
# resellers to set it: every WHMCS API action bridge/panels/whmcs.py calls, and nothing else
# (tests/provisioning/test_whmcs_role.py keeps the three in step).
BRIDGE_ROLE = (
    "UpdateClientProduct",
    "SendEmail",
    "SendAdminEmail",
)
QUANTITY_TYPES = {3, 4}  # WHMCS configurable option types: 3 yes/no, 4 quantity
MODULE = "otwabridge"


def key_part(name: str) -> str:
    """WHMCS's ``"key|Display"`` -> ``"key"`` for option, sub-option and field names."""
    return name.split("|", 1)[0].strip() if "|" in name[1:] else name


def php_unserialize_ids(raw: str) -> dict[str, str]:
    """The ``a:N:{i:ID;s:LEN:"VALUE";...}`` PHP arrays UpdateClientProduct carries (base64)."""
    text = base64.b64decode(raw).decode()
    return {
        m.group(1): m.group(3)
        for m in re.finditer(r'[is]:"?(\d+)"?;s:(\d+):"(.*?)";', text, flags=re.DOTALL)
    }


class State:
    """Everything the fake WHMCS knows; every method runs under ``lock``."""

    def __init__(self, identifier: str, secret: str) -> None:
        self.identifier = identifier
        self.secret = secret
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_count = 0
        self.fail_mode = "500"
        self.role: set[str] | None = None  # None: every action allowed (old behaviour)
        self.strict = False
        self.servers: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.addons: dict[int, dict[str, Any]] = {}
        self.clients: dict[int, dict[str, Any]] = {}
        self.services: dict[Any, dict[str, Any]] = {}
        self.hosting_addons: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.activity: list[str] = []
        self.next_field_id = 1000

    # -- seeding --------------------------------------------------------------------------

    def seed(self, data: dict[str, Any]) -> None:
        for name in (
            "servers",
            "products",
            "addons",
            "clients",
            "services",
            "hosting_addons",
            "invoices",
        ):
            table = getattr(self, name)
            for row in data.get(name, []):
                table[int(row["id"])] = copy.deepcopy(row)
        self.strict = bool(data.get("strict", self.strict or bool(data)))

    def dump(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in (
                "servers",
                "products",
                "addons",
                "clients",
                "services",
                "hosting_addons",
                "invoices",
                "activity",
            )
        }

    # -- WHMCS API ------------------------------------------------------------------------

    def api(self, action: str, form: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, f"api_{action}", None)
        if handler is None:
            return {"result": "error", "message": f"Command Not Found: {action}"}
        return handler(form)

    def _service(self, form: dict[str, Any]) -> dict[str, Any] | None:
        raw = str(form.get("serviceid") or "")
        sid: Any = int(raw) if raw.isdigit() else raw  # other tests use ids such as "b4"
        if sid in self.services:
            return self.services[sid]
        if sid and not self.strict:
            self.services[sid] = {"id": sid, "clientid": 0, "pid": 0, "status": "Active"}
            return self.services[sid]
        return None

    def api_UpdateClientProduct(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        service = self._service(form)
        if service is None:
            return {"result": "error", "message": "Service ID Not Found"}
        renames = {"serviceusername": "username", "servicepassword": "password"}
        for key in (
            "dedicatedip",
            "assignedips",
            "serviceusername",
            "servicepassword",
            "status",
            "domain",
            "diskusage",
            "disklimit",
            "bwusage",
            "bwlimit",
            "serverid",
            "pid",
            "notes",
            "suspendreason",
        ):
            if key in form:
                service[renames.get(key, key)] = form[key]
        if any(k in form for k in ("diskusage", "disklimit", "bwusage", "bwlimit")):
            service["lastupdate"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        unset = form.get("unset") or []
        for key in [unset] if isinstance(unset, str) else unset:
            service[renames.get(key, key)] = ""
        if form.get("customfields"):
            values = service.setdefault("customfields", {})
            values.update(php_unserialize_ids(str(form["customfields"])))
        return {"result": "success", "serviceid": service["id"]}

    def api_SendEmail(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"result": "success"}

    def api_SendAdminEmail(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"result": "success"}

    def api_LogActivity(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.activity.append(str(form.get("description", "")))
        return {"result": "success"}

    def api_GetServers(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        servers = [
            {
                "id": s["id"],
                "name": s.get("name", ""),
                "hostname": s.get("hostname", ""),
                "ipaddress": s.get("ipaddress", ""),
                "active": s.get("active", True),
                "module": s.get("type", MODULE),
            }
            for s in self.servers.values()
        ]
        return {"result": "success", "servers": servers, "fetchStatus": ""}

    def api_GetProducts(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        rows = []
        pids = {int(p) for p in str(form.get("pid") or "").split(",") if p.strip()}
        for product in self.products.values():
            if pids and product["id"] not in pids:
                continue
            if form.get("module") and product.get("module", MODULE) != form["module"]:
                continue
            rows.append(self._product_row(product))
        return {"result": "success", "totalresults": len(rows), "products": {"product": rows}}

    def _product_row(self, product: dict[str, Any]) -> dict[str, Any]:
        options = [
            {
                "id": o["id"],
                "name": o["name"],
                "type": str(o["type"]),
                "options": {
                    "option": [
                        {
                            "id": s["id"],
                            "name": s["name"].split("|")[-1].strip(),
                            "rawName": s["name"],
                        }
                        for s in o.get("subs", [])
                    ]
                },
            }
            for o in product.get("configoptions", [])
        ]
        return {
            "pid": product["id"],
            "gid": product.get("gid", 1),
            "type": "server",
            "name": product.get("name", f"Product {product['id']}"),
            "module": product.get("module", MODULE),
            "configoptions": {"configoption": options},
        }

    def _service_row(self, service: dict[str, Any]) -> dict[str, Any]:
        product = self.products.get(int(service.get("pid") or 0), {})
        server = self.servers.get(int(service.get("serverid") or 0), {})
        fields = [
            {
                "id": f["id"],
                "name": f["name"],
                "value": service.get("customfields", {}).get(str(f["id"]), ""),
            }
            for f in product.get("customfields", [])
        ]
        row = {
            k: service.get(k, "")
            for k in (
                "dedicatedip",
                "assignedips",
                "domain",
                "username",
                "diskusage",
                "disklimit",
                "bwusage",
                "bwlimit",
                "lastupdate",
            )
        }
        row.update(
            {
                "id": service["id"],
                "clientid": service.get("clientid", 0),
                "pid": service.get("pid", 0),
                "name": product.get("name", ""),
                "serverid": service.get("serverid", 0),
                "serverhostname": server.get("hostname", ""),
                "status": service.get("status", ""),
                "customfields": {"customfield": fields},
            }
        )
        return row

    def api_GetClientsProducts(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        rows = []
        for service in sorted(self.services.values(), key=lambda s: str(s["id"]).zfill(20)):
            if form.get("serviceid") and str(service["id"]) != str(form["serviceid"]):
                continue
            if form.get("pid") and int(service.get("pid") or 0) != int(form["pid"]):
                continue
            if form.get("clientid") and int(service.get("clientid") or 0) != int(form["clientid"]):
                continue
            rows.append(self._service_row(service))
        start = int(form.get("limitstart") or 0)
        page = rows[start : start + int(form.get("limitnum") or 25)]
        return {
            "result": "success",
            "totalresults": len(rows),
            "startnumber": start,
            "numreturned": len(page),
            "products": {"product": page},
        }

    def api_GetInvoice(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        invoice = self.invoices.get(int(form.get("invoiceid") or 0))
        if invoice is None:
            return {"result": "error", "message": "Invoice ID Not Found"}
        body = {k: v for k, v in invoice.items() if k != "items"}
        body.update(
            {
                "result": "success",
                "invoiceid": invoice["id"],
                "items": {"item": invoice.get("items", [])},
            }
        )
        return body

    def api_GetClientsDetails(self, form: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        client = self.clients.get(int(form.get("clientid") or 0))
        if client is None:
            return {"result": "error", "message": "Client Not Found"}
        return {"result": "success", "client": client, **client}

    # -- what WHMCS hands the module --------------------------------------------------------

    def server_params(self, server_id: int) -> dict[str, Any]:
        server = self.servers.get(server_id)
        if server is None:
            return {
                "server": False,
                "serverip": "",
                "serverhostname": "",
                "serverusername": "",
                "serverpassword": "",
                "serveraccesshash": "",
                "serversecure": False,
                "serverhttpprefix": "",
                "serverport": "",
            }
        secure = bool(server.get("secure"))
        return {
            "server": True,
            "serverid": server["id"],
            "serverip": server.get("ipaddress", ""),
            "serverhostname": server.get("hostname", ""),
            "serverusername": server.get("username", ""),
            "serverpassword": server.get("password", ""),
            "serveraccesshash": server.get("accesshash", ""),
            "serversecure": secure,
            "serverhttpprefix": "https" if secure else "http",
            "serverport": server.get("port") or (443 if secure else 80),
        }

    def _fields(self, definitions: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
        return {
            key_part(f["name"]): key_part(str(values.get(str(f["id"]), ""))) for f in definitions
        }

    def params(self, service_id: int = 0, addon_id: int = 0) -> dict[str, Any] | None:
        if addon_id:
            return self._addon_params(addon_id)
        service = self.services.get(service_id)
        if service is None:
            return None
        product = self.products.get(int(service.get("pid") or 0), {})
        client = self.clients.get(int(service.get("clientid") or 0), {})
        params: dict[str, Any] = {
            "accountid": service["id"],
            "serviceid": service["id"],
            "addonId": 0,
            "userid": service.get("clientid", 0),
            "domain": service.get("domain", ""),
            "username": service.get("username", ""),
            "password": service.get("password", ""),
            "packageid": service.get("pid", 0),
            "pid": service.get("pid", 0),
            "serverid": service.get("serverid", 0),
            "status": service.get("status", "Pending"),
            "type": "server",
            "producttype": "server",
            "moduletype": product.get("module", MODULE),
        }
        for n in range(1, 25):
            params[f"configoption{n}"] = str(product.get("configoption", {}).get(str(n), ""))
        params["customfields"] = self._fields(
            product.get("customfields", []), service.get("customfields", {})
        )
        chosen = service.get("configoptions", {})
        options: dict[str, Any] = {}
        for option in product.get("configoptions", []):
            if str(option["id"]) not in chosen:
                continue
            value = chosen[str(option["id"])]
            if int(option["type"]) in QUANTITY_TYPES:
                options[key_part(option["name"])] = int(value)
            else:
                sub = next((s for s in option.get("subs", []) if s["id"] == int(value)), None)
                options[key_part(option["name"])] = key_part(sub["name"]) if sub else ""
        params["configoptions"] = options
        params["clientsdetails"] = {**client, "userid": client.get("id", 0)}
        params.update(self.server_params(int(service.get("serverid") or 0)))
        return params

    def _addon_params(self, addon_id: int) -> dict[str, Any] | None:
        hosting = self.hosting_addons.get(addon_id)
        if hosting is None:
            return None
        addon = self.addons.get(int(hosting["addonid"]), {})
        parent = self.services.get(int(hosting["serviceid"]), {})
        client = self.clients.get(int(parent.get("clientid") or 0), {})
        params: dict[str, Any] = {
            "accountid": addon_id,
            "addonId": addon_id,
            "serviceid": hosting["serviceid"],
            "userid": parent.get("clientid", 0),
            "domain": parent.get("domain", ""),
            "username": parent.get("username", ""),
            "password": parent.get("password", ""),
            "packageid": addon["id"],
            "pid": addon["id"],
            "serverid": hosting.get("serverid", 0),
            "status": hosting.get("status", "Pending"),
            "type": "server",
            "producttype": "server",
            "moduletype": addon.get("module", MODULE),
        }
        for n, value in addon.get("configoption", {}).items():
            params[f"configoption{n}"] = value
        for name, value in addon.get("friendly", {}).items():
            params[name] = value
        params["customfields"] = {}
        params["clientsdetails"] = {**client, "userid": client.get("id", 0)}
        params.update(self.server_params(int(hosting.get("serverid") or 0)))
        return params

    def property_get(self, service_id: int, name: str) -> str:
        service = self.services.get(service_id, {})
        product = self.products.get(int(service.get("pid") or 0), {})
        for field in product.get("customfields", []):
            if field["name"] == name:
                return str(service.get("customfields", {}).get(str(field["id"]), ""))
        return ""

    def property_save(self, service_id: int, values: dict[str, Any]) -> None:
        service = self.services[service_id]
        product = self.products.setdefault(int(service.get("pid") or 0), {"id": service.get("pid")})
        fields = product.setdefault("customfields", [])
        for name, value in values.items():
            field = next((f for f in fields if f["name"] == name), None)
            if field is None:  # WHMCS creates the custom field on first save
                self.next_field_id += 1
                field = {"id": self.next_field_id, "name": name, "adminonly": "on"}
                fields.append(field)
            service.setdefault("customfields", {})[str(field["id"])] = str(value)


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:  # quiet: the test log stays readable
            return

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            with state.lock:
                if url.path == "/_fake/calls":
                    wanted = query.get("action")
                    calls = [c for c in state.calls if wanted is None or c.get("action") == wanted]
                    self._send(200, calls)
                elif url.path == "/_fake/state":
                    self._send(200, state.dump())
                elif url.path == "/_fake/params":
                    params = state.params(
                        int(query.get("serviceid") or 0), int(query.get("addonid") or 0)
                    )
                    self._send(200 if params is not None else 404, params or {})
                elif url.path == "/_fake/server-params":
                    self._send(200, state.server_params(int(query.get("serverid") or 0)))
                elif url.path == "/_fake/properties":
                    value = state.property_get(
                        int(query.get("serviceid") or 0), query.get("name", "")
                    )
                    self._send(200, {"value": value})
                else:
                    self._send(404, {"error": "not found"})

        def do_PUT(self) -> None:  # noqa: N802
            raw = self._body()
            if urlsplit(self.path).path != "/_fake/role":
                self._send(404, {"error": "not found"})
                return
            spec = json.loads(raw or b"{}")
            with state.lock:
                actions = spec.get("actions")
                state.role = None if actions is None else set(actions)
            self._send(200, {"ok": True})

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            raw = self._body()
            control = {
                "/_fake/reset": self._reset,
                "/_fake/fail": self._fail,
                "/_fake/seed": self._seed,
                "/_fake/localapi": self._localapi,
                "/_fake/properties": self._properties,
            }
            if url.path in control:
                control[url.path](raw)
            elif url.path == "/includes/api.php":
                self._api(raw)
            else:
                self._send(404, {"error": "not found"})

        def _reset(self, raw: bytes) -> None:
            with state.lock:
                state.reset()
            self._send(200, {"ok": True})

        def _fail(self, raw: bytes) -> None:
            spec = json.loads(raw or b"{}")
            with state.lock:
                state.fail_count = int(spec.get("count", 1))
                state.fail_mode = str(spec.get("mode", "500"))
            self._send(200, {"ok": True})

        def _seed(self, raw: bytes) -> None:
            with state.lock:
                state.seed(json.loads(raw or b"{}"))
            self._send(200, {"ok": True})

        def _properties(self, raw: bytes) -> None:
            spec = json.loads(raw or b"{}")
            with state.lock:
                state.property_save(int(spec["serviceid"]), dict(spec["save"]))
            self._send(200, {"ok": True})

        def _localapi(self, raw: bytes) -> None:
            spec = json.loads(raw or b"{}")
            command, data = str(spec.get("command")), dict(spec.get("data") or {})
            with state.lock:
                state.calls.append(
                    {
                        **{k: v for k, v in data.items() if isinstance(v, str | int)},
                        "action": command,
                        "_source": "local",
                    }
                )
                reply = state.api(command, data)
            self._send(200, reply)

        def _api(self, raw: bytes) -> None:
            parsed = parse_qs(raw.decode(), keep_blank_values=True)
            form: dict[str, Any] = {
                k.removesuffix("[]"): (v if k.endswith("[]") else v[0]) for k, v in parsed.items()
            }
            with state.lock:
                failing = state.fail_count > 0
                if failing:
                    state.fail_count -= 1
                    form["_failed"] = state.fail_mode
                state.calls.append({**form, "_source": "api"})
                mode = state.fail_mode
                reply = None if failing else self._authorised(form)
            if failing and mode == "drop":
                self.close_connection = True
                self.connection.close()
                return
            if failing and mode == "500":
                self._send(500, {"result": "error", "message": "internal error"})
                return
            if failing:
                self._send(200, {"result": "error", "message": "Simulated failure"})
                return
            self._send(200, reply)

        def _authorised(self, form: dict[str, Any]) -> dict[str, Any]:
            if form.get("identifier") != state.identifier or form.get("secret") != state.secret:
                return {"result": "error", "message": "Authentication Failed"}
            if form.get("responsetype") != "json":
                return {"result": "error", "message": "responsetype json expected"}
            action = str(form.get("action"))
            if state.role is not None and action not in state.role:
                return {
                    "result": "error",
                    "message": f'Invalid Permissions: API action "{action}" is not allowed',
                }
            return state.api(action, form)

    return Handler


def serve(host: str, port: int, identifier: str, secret: str) -> None:
    server = ThreadingHTTPServer((host, port), _handler(State(identifier, secret)))
    server.daemon_threads = True
    server.serve_forever()


class FakeWhmcs:
    """A running fake WHMCS process and its control API."""

    IDENTIFIER = "fake-identifier-123"
    SECRET = "fake-api-secret-456"

    def __init__(self, tmp: Path) -> None:
        from tests.support.processes import Process, free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.url}/includes/api.php"
        self.process = Process(
            [
                __import__("sys").executable,
                "-m",
                "tests.support.fake_whmcs",
                "--port",
                str(self.port),
                "--identifier",
                self.IDENTIFIER,
                "--secret",
                self.SECRET,
            ],
            tmp / f"fake-whmcs-{self.port}.log",
        )

    def start(self) -> FakeWhmcs:
        self.process.start()
        self.process.wait_http(f"{self.url}/_fake/calls")
        return self

    def stop(self) -> None:
        self.process.stop()

    def calls(self, action: str | None = None, *, source: str = "api") -> list[dict[str, Any]]:
        """Recorded calls: ``source`` ``"api"`` (the bridge's credential), ``"local"``
        (the module's localAPI) or ``"any"``."""
        params = {"action": action} if action else None
        r = requests.get(f"{self.url}/_fake/calls", params=params, timeout=5)
        r.raise_for_status()
        return [c for c in r.json() if source == "any" or c.get("_source") == source]

    def fail(self, count: int, mode: str = "500") -> None:
        requests.post(
            f"{self.url}/_fake/fail", json={"count": count, "mode": mode}, timeout=5
        ).raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.url}/_fake/reset", timeout=5).raise_for_status()

    def seed(self, **tables: Any) -> None:
        requests.post(f"{self.url}/_fake/seed", json=tables, timeout=5).raise_for_status()

    def set_role(self, actions: list[str] | tuple[str, ...] | None) -> None:
        """Restrict the bridge's credential to ``actions`` (None: allow everything)."""
        body = {"actions": list(actions) if actions is not None else None}
        requests.put(f"{self.url}/_fake/role", json=body, timeout=5).raise_for_status()

    def state(self) -> dict[str, Any]:
        r = requests.get(f"{self.url}/_fake/state", timeout=5)
        r.raise_for_status()
        return dict(r.json())

    def service(self, service_id: int) -> dict[str, Any]:
        return dict(self.state()["services"][str(service_id)])

    def env(self, panel: str = "whmcs") -> dict[str, str]:
        """The bridge environment naming this fake's API credentials for ``panel``."""
        p = panel.upper().replace("-", "_")
        return {
            f"BRIDGE_{p}_API_IDENTIFIER": self.IDENTIFIER,
            f"BRIDGE_{p}_API_SECRET": self.SECRET,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--identifier", default=FakeWhmcs.IDENTIFIER)
    parser.add_argument("--secret", default=FakeWhmcs.SECRET)
    args = parser.parse_args()
    serve(args.host, args.port, args.identifier, args.secret)


if __name__ == "__main__":
    main()

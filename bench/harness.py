"""Run one system under test against a fresh sandbox and measure it.

What one run does (every process is real and talks over loopback):

1. start ``python -m bridge sandbox --time-scale F --seed S`` (a fresh one per system, so
   both systems see the same seeded build times) and top up the demo wallet;
2. start the system under test (bench.systems) configured for that time scale, warm it up
   with a few unmeasured ``test_connection`` hooks, let one rate-limit window pass, and wait
   (up to ``settle`` s) for other processes on the machine to go quiet;
3. fire ``orders`` signed ``create`` hooks **open-loop** at ``rate`` hooks/s from a thread
   pool: hook ``i`` is due at ``t0 + i / rate`` whatever happened to earlier ones (256
   senders, so a slow system cannot slow the load down); its latency runs from the moment
   it leaves to the reply, and the panel's own lag behind the schedule is kept apart (and
   reported: if it is large, the load was not delivered on time);
4. play the panel: a hook answered with anything but 2xx is an order in the panel's
   failed queue (WHMCS "Module Queue"); the panel re-sends it, with a new ``webhook-id``,
   ``retry_delay`` sandbox seconds later, until it is accepted;
5. watch ``GET /_sandbox/state`` until all ``orders`` servers are ``running`` and every
   service's credentials reached the panel (the system's work is done), then read the
   sandbox's request counters. The moment the last server turned ``running`` is computed
   exactly from ``createdAt`` and the sandbox's seeded build draws, checked against every
   status observed (:class:`BuildCheck`);
6. sample peak RSS (``VmHWM``) and CPU time of every process of the system from /proc, and
   how much CPU processes outside the benchmark used meanwhile.

Request counts are deltas of the sandbox's counters over the burst; the harness's catalog
look-up uses the read-only key, the warm-up happens before the counters are read, and the
control API is not counted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests

from bench import floor
from bridge.processes import SandboxProcess
from bridge.signing import sign_headers

HARNESS_KEY = "otwa_sandbox_readonly"  # catalog look-up only; not the systems' key
SYSTEM_KEY = "otwa_sandbox_default"
PANEL_PRODUCT = "101"  # the WHMCS product id (pid) of the VPS plan
PLAN_NAME = "Starter"
OS_TEMPLATE = "ubuntu-24.04"


@dataclass(frozen=True)
class RunConfig:
    """One benchmark run's knobs. Times named ``*_sandbox`` are in sandbox seconds."""

    orders: int = 200
    rate: float = 100.0  # hooks per wall second, open loop
    time_scale: float = 20.0
    seed: int = 7
    poll_interval_sandbox: float = 10.0  # both systems poll builds this often
    retry_delay_sandbox: float = 60.0  # the panel re-sends a failed order this much later
    timeout_sandbox: float = 3600.0  # give up on a system after this much sandbox time
    pool_size: int = 256  # enough senders that a slow system cannot hold the load back
    settle: float = 60.0  # wait up to this long (wall s) for other processes to go quiet
    workdir: Path = Path("var/bench")

    def wall(self, sandbox_seconds: float) -> float:
        """Wall seconds that ``sandbox_seconds`` of sandbox time take."""
        return sandbox_seconds / self.time_scale


@dataclass
class Catalog:
    """What the panel's product maps to in Otwa (looked up once, like a module's config)."""

    product_id: str
    plan_name: str
    region: str
    os: str
    os_template: str

    def create_body(self) -> dict[str, str]:
        """The POST /servers fields a module sends for this product (no label/hostname)."""
        return {
            "productId": self.product_id,
            "region": self.region,
            "os": self.os,
            "osTemplate": self.os_template,
        }


class System(Protocol):
    """A system under test: started against a sandbox, receiving hooks at ``hook_url``."""

    name: str
    hook_url: str
    secret: str

    def start(
        self, sandbox: SandboxProcess, cfg: RunConfig, catalog: Catalog, workdir: Path
    ) -> None: ...

    def pids(self) -> list[int]:
        """Root pids of the system's processes (children are found through /proc)."""
        ...

    def delivered(self) -> int:
        """How many services have their server's credentials in the panel by now."""
        ...

    def stop(self) -> None: ...

    def log(self) -> str: ...


@dataclass
class HookResult:
    service_id: str
    attempt: int
    due: float  # wall (monotonic) time the hook was due
    latency: float  # seconds from the request leaving to its reply (or failure)
    lag: float  # seconds from due to the request leaving (the panel's own delay)
    status: int  # HTTP status, 0 for a connection error


@dataclass
class Result:
    """Everything one run measured (times in sandbox seconds unless named ``*_wall``)."""

    system: str
    cfg: RunConfig
    finished: bool
    servers_running: int
    credentials_fetched: int
    requests_total: int
    requests_429: int
    requests_by_route: dict[str, int]
    requests_by_status: dict[str, int]
    time_to_running: float | None
    time_to_done: float | None
    creates_at: list[float]  # when each server was ordered (createdAt), sandbox s from t0
    ideal_creates_at: list[float]  # when the ideal system sends them (bench/floor.py)
    floor: float  # seeded: the k-th create builds for the k-th draw (bench/floor.py)
    floor_worst: float  # every build takes 120 s
    floor_sliding: float  # worst-case builds, sliding instead of fixed window
    floor_90: float  # seeded, at 90 per sliding 60 s: the bridge's default budget
    hook_latencies_ms: list[float]
    hook_lag_ms: list[float]
    hooks_failed_first_try: int
    hook_statuses: dict[str, int]  # HTTP status of each first try (0: no reply)
    hook_retries: int
    duplicates: int
    peak_rss_kib: int
    cpu_seconds: float  # CPU time the system's processes used during the run
    load_average: tuple[float, float]  # 1-min load average before and after the run
    other_cpu: float  # CPUs used by processes outside the benchmark during the run, on average
    rss_by_process: dict[str, tuple[int, float]]  # peak RSS KiB, CPU s
    wall_seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def requests_per_server(self) -> float:
        return self.requests_total / max(1, self.servers_running)

    @property
    def ratio(self) -> float | None:
        return None if self.time_to_running is None else self.time_to_running / self.floor

    def percentile(self, p: float) -> float:
        return percentile(self.hook_latencies_ms, p)

    def to_json(self) -> dict[str, Any]:
        body = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("cfg", "hook_latencies_ms", "hook_lag_ms", "ideal_creates_at")
        }
        body.update(
            cfg={k: str(v) for k, v in self.cfg.__dict__.items()},
            requests_per_server=round(self.requests_per_server, 3),
            ratio=None if self.ratio is None else round(self.ratio, 3),
            hook_p50_ms=round(self.percentile(50), 2),
            hook_p99_ms=round(self.percentile(99), 2),
            hook_max_ms=round(max(self.hook_latencies_ms, default=0.0), 2),
            panel_lag_p99_ms=round(percentile(self.hook_lag_ms, 99), 2),
            creates_at=[round(t, 2) for t in self.creates_at],
            hook_latencies_ms=[round(t, 2) for t in self.hook_latencies_ms],
            creates_sent_by=_quantiles(self.creates_at),
            ideal_creates_sent_by=_quantiles(self.ideal_creates_at),
        )
        return body


def _quantiles(values: list[float]) -> dict[str, float]:
    return {f"p{p}": round(percentile(values, p), 1) for p in (25, 50, 75, 100)}


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


# -- processes and memory ----------------------------------------------------------------


def descendants(roots: list[int]) -> list[int]:
    """``roots`` and every live descendant, from /proc/<pid>/stat parent ids."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        if pid in found or not Path(f"/proc/{pid}").exists():
            continue
        found.append(pid)
        todo.extend(parents.get(pid, []))
    return found


def _status_kib(pid: int, field_name: str) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(field_name + ":"):
            return cmd, int(line.split()[1])
    return None


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all CPUs, /proc/stat) so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    # guest time is already counted in user time
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def own_busy_seconds(pids: list[int]) -> float:
    """CPU seconds used so far by this process and the process trees of ``pids``."""
    total = sum(os.times()[:2])
    for pid in descendants(pids):
        total += _cpu_seconds(pid) or 0.0
    return total


def settle(pids: list[int], limit: float, progress: Callable[[str], None], name: str) -> float:
    """Wait (up to ``limit`` s) until other processes use < 0.25 CPU for a whole second;
    return what they used in the last probe (cores). ``limit`` <= 0: do not wait."""
    if limit <= 0:
        return 0.0
    deadline = time.monotonic() + limit
    said = False
    while True:
        busy, own = machine_busy_seconds(), own_busy_seconds(pids)
        time.sleep(1.0)
        other = (machine_busy_seconds() - busy) - (own_busy_seconds(pids) - own)
        if other < 0.25 or time.monotonic() > deadline:
            return max(0.0, other)
        if not said:
            progress(f"[{name}] other processes use {other:.1f} CPUs; waiting up to {limit:g} s")
            said = True


class RssSampler:
    """Samples a process tree in a thread: ``VmHWM`` (the kernel's per-process peak RSS)
    and CPU time.

    Peak RSS of the system = the sum of every process's VmHWM: an upper bound on the
    simultaneous peak, and exact for a single process. CPU = the CPU seconds the tree used
    after :meth:`mark` (start-up excluded), a load-independent measure of the work done.
    """

    def __init__(self, roots: Callable[[], list[int]], interval: float = 0.2) -> None:
        self._roots = roots
        self._interval = interval
        self.peaks: dict[int, tuple[str, int]] = {}
        self.cpu: dict[int, float] = {}
        self.cpu_at_mark: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss")

    def sample(self) -> None:
        for pid in descendants(self._roots()):
            got = _status_kib(pid, "VmHWM")
            if got and got[1] >= self.peaks.get(pid, ("", 0))[1]:
                self.peaks[pid] = got
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.cpu[pid] = cpu

    def mark(self) -> None:
        """Start counting CPU from now."""
        self.sample()
        self.cpu_at_mark = dict(self.cpu)

    @property
    def cpu_seconds(self) -> float:
        return sum(v - self.cpu_at_mark.get(pid, 0.0) for pid, v in self.cpu.items())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def start(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    @property
    def total_kib(self) -> int:
        return sum(kib for _, kib in self.peaks.values())

    def by_process(self) -> dict[str, tuple[int, float]]:
        """``"<pid> <command>"`` -> (peak RSS KiB, CPU seconds since the mark)."""
        return {
            f"{pid} {cmd[:120]}": (
                kib,
                round(self.cpu.get(pid, 0.0) - self.cpu_at_mark.get(pid, 0.0), 3),
            )
            for pid, (cmd, kib) in sorted(self.peaks.items())
        }


# -- the panel: signed hooks, open loop, retries -------------------------------------------


class Panel:
    """Sends the burst and re-sends failed orders (the WHMCS Module Queue, retried)."""

    def __init__(self, system: System, cfg: RunConfig, run_tag: str) -> None:
        self.system = system
        self.cfg = cfg
        self.run_tag = run_tag
        self.pool = ThreadPoolExecutor(max_workers=cfg.pool_size, thread_name_prefix="panel")
        self.results: list[HookResult] = []
        self.accepted: set[str] = set()
        self.first_due: dict[str, float] = {}  # service id -> when the order was placed
        self.lock = threading.Lock()
        self._local = threading.local()
        self._pending: list[tuple[float, str, int]] = []  # (due, service, attempt) retries
        self._stop = threading.Event()
        self._retrier = threading.Thread(target=self._retry_loop, daemon=True, name="retry")

    def service_id(self, i: int) -> str:
        return f"{self.run_tag}-{i:04d}"

    def body(self, service_id: str, i: int, action: str = "create") -> bytes:
        return json.dumps(
            {
                "action": action,
                "service": {
                    "id": service_id,
                    "product_id": PANEL_PRODUCT,
                    "options": {},
                    "hostname": f"{service_id}.bench.example",
                },
                "client": {"id": f"client-{i % 50}"},
            }
        ).encode()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _send(self, service_id: str, attempt: int, due: float) -> None:
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        sent = time.monotonic()
        i = int(service_id.rsplit("-", 1)[1])
        raw = self.body(service_id, i)
        headers = sign_headers([self.system.secret], raw)
        headers["content-type"] = "application/json"
        try:
            reply = self._session().post(
                self.system.hook_url, data=raw, headers=headers, timeout=30
            )
            status = reply.status_code
            ok = 200 <= status < 300 and reply.json().get("ok", False)
        except (requests.RequestException, ValueError):
            status, ok = 0, False
        latency = time.monotonic() - sent
        with self.lock:
            self.results.append(HookResult(service_id, attempt, due, latency, sent - due, status))
            if ok:
                self.accepted.add(service_id)
            else:
                retry_at = time.monotonic() + self.cfg.wall(self.cfg.retry_delay_sandbox)
                self._pending.append((retry_at, service_id, attempt + 1))

    def _retry_loop(self) -> None:
        while not self._stop.wait(0.02):
            now = time.monotonic()
            with self.lock:
                due = [p for p in self._pending if p[0] <= now]
                self._pending = [p for p in self._pending if p[0] > now]
            for at, service_id, attempt in due:
                self.pool.submit(self._send, service_id, attempt, at)

    def warm_up(self, count: int = 16) -> None:
        """``count`` concurrent ``test_connection`` hooks, not measured: a deployed system is
        warm (modules imported, connections open) when a burst comes. The baseline refuses
        them (400) after verifying the signature, which warms its path as far as it goes."""

        def one(i: int) -> None:
            raw = self.body(f"{self.run_tag}-w{i:03d}", i, action="test_connection")
            headers = sign_headers([self.system.secret], raw)
            headers["content-type"] = "application/json"
            try:
                self._session().post(self.system.hook_url, data=raw, headers=headers, timeout=30)
            except requests.RequestException:
                pass

        list(self.pool.map(one, range(count)))

    def fire(self, t0: float) -> None:
        """Schedule the whole burst (returns at once; hooks go out on their due times)."""
        self._retrier.start()
        for i in range(self.cfg.orders):
            self.first_due[self.service_id(i)] = t0 + i / self.cfg.rate
            self.pool.submit(self._send, self.service_id(i), 1, t0 + i / self.cfg.rate)

    def close(self) -> None:
        self._stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


# -- one run --------------------------------------------------------------------------------


def lookup_catalog(sandbox: SandboxProcess) -> Catalog:
    """The panel product's Otwa plan, region and OS (the module's configuration step)."""
    headers = {"Authorization": f"Bearer {HARNESS_KEY}"}
    products = requests.get(f"{sandbox.api}/products", headers=headers, timeout=10)
    products.raise_for_status()
    plan = next(p for p in products.json() if p["name"] == PLAN_NAME)
    templates = requests.get(f"{sandbox.api}/os-templates", headers=headers, timeout=10)
    templates.raise_for_status()
    template = next(t for t in templates.json() if t["id"] == OS_TEMPLATE)
    return Catalog(plan["id"], plan["name"], plan["regions"][0], template["family"], template["id"])


def _counts(state: dict[str, Any]) -> dict[str, Any]:
    return state["requests"]


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    out = {k: v - before.get(k, 0) for k, v in after.items()}
    return {k: v for k, v in sorted(out.items()) if v}


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


class SandboxTime:
    """Maps this process's monotonic clock to the sandbox's clock (``state["now"]``)."""

    def __init__(self, sandbox: SandboxProcess, scale: float) -> None:
        self.scale = scale
        best = (float("inf"), 0.0, 0.0)
        for _ in range(5):  # keep the tightest of a few round trips
            before = time.monotonic()
            now = float(sandbox.state()["now"])
            after = time.monotonic()
            best = min(best, (after - before, (before + after) / 2, now))
        _, self._mono, self._now = best

    def at(self, mono: float) -> float:
        return self._now + (mono - self._mono) * self.scale


@dataclass
class BuildCheck:
    """Predicted running times (createdAt + the seeded build draw), checked against what
    the sandbox showed at each poll. ``mismatches`` > 0 means the prediction is not used."""

    predicted: dict[str, float] = field(default_factory=dict)
    mismatches: int = 0
    checked: int = 0

    def update(self, state: dict[str, Any], builds: list[float]) -> None:
        now = float(state["now"])
        for k, server in enumerate(state["servers"]):
            if server["id"] not in self.predicted and k < len(builds):
                self.predicted[server["id"]] = _epoch(server["createdAt"]) + builds[k]
            ready = self.predicted.get(server["id"])
            if ready is None:
                continue
            self.checked += 1
            running = server["status"] == "running"
            # createdAt has millisecond precision: allow a little slack either way.
            if (running and ready > now + 0.01) or (not running and ready < now - 0.01):
                self.mismatches += 1


def _service_of(label: str, tag: str) -> str | None:
    match = re.search(rf"{tag}-\d+", label)
    return match.group(0) if match else None


def run(
    system: System,
    cfg: RunConfig,
    progress: Callable[[str], None] = print,
) -> Result:
    """Run ``system`` once (see the module docstring) and return what was measured."""
    workdir = cfg.workdir / system.name
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxProcess(workdir, time_scale=cfg.time_scale, seed=cfg.seed).start()
    notes: list[str] = []
    sampler: RssSampler | None = None
    panel: Panel | None = None
    wall_start = time.monotonic()
    name = system.name
    try:
        sandbox.set_balance(SYSTEM_KEY, "100000.00")
        catalog = lookup_catalog(sandbox)
        progress(f"[{name}] sandbox up on :{sandbox.port} (x{cfg.time_scale:g}); starting")
        system.start(sandbox, cfg, catalog, workdir)
        sampler = RssSampler(system.pids).start()
        tag = "b" + uuid.uuid4().hex[:6]
        panel = Panel(system, cfg, tag)
        panel.warm_up()
        # Let the warm-up's Otwa calls leave the rate-limit window before the burst.
        time.sleep(cfg.wall(61.0))
        clock = SandboxTime(sandbox, cfg.time_scale)
        before = _counts(sandbox.state())
        builds = floor.seeded_builds(cfg.seed, 4 * cfg.orders)
        settle([sandbox.process.popen.pid, *system.pids()], cfg.settle, progress, name)
        sampler.mark()
        load_before = os.getloadavg()[0]
        watched = [sandbox.process.popen.pid, *system.pids()]
        busy_start, own_start, mono_start = (
            machine_busy_seconds(),
            own_busy_seconds(watched),
            time.monotonic(),
        )
        t0 = time.monotonic() + 0.2
        panel.fire(t0)
        progress(f"[{name}] firing {cfg.orders} create hooks at {cfg.rate:g}/s")

        def elapsed(mono: float | None = None) -> float:
            return clock.at(time.monotonic() if mono is None else mono) - clock.at(t0)

        check = BuildCheck()
        seen_running_at: float | None = None
        done_at: float | None = None
        last_note = 0.0
        deadline = t0 + cfg.wall(cfg.timeout_sandbox)
        # Nothing can be running before the shortest build; polling the (lock-holding)
        # state endpoint during the burst would only slow the sandbox down.
        time.sleep(max(0.0, t0 + cfg.wall(50.0) - time.monotonic()))
        state: dict[str, Any] = {}
        running = delivered = 0
        while time.monotonic() < deadline:
            state = sandbox.state()
            check.update(state, builds)
            running = sum(1 for s in state["servers"] if s["status"] == "running")
            delivered = system.delivered()
            if seen_running_at is None and running >= cfg.orders:
                seen_running_at = float(state["now"]) - clock.at(t0)
                progress(f"[{name}] all {cfg.orders} running (seen at {seen_running_at:.0f} s)")
            if seen_running_at is not None and delivered >= cfg.orders:
                done_at = elapsed()
                break
            if time.monotonic() - last_note > 1.0:
                last_note = time.monotonic()
                progress(
                    f"[{name}] t={elapsed():5.0f} s: {len(state['servers'])} servers,"
                    f" {running} running, {delivered} credentials delivered,"
                    f" {len(panel.accepted)}/{cfg.orders} hooks accepted,"
                    f" {_counts(state)['total'] - before['total']} Otwa requests"
                )
            time.sleep(0.25)
        else:
            notes.append(f"gave up after {cfg.timeout_sandbox:g} sandbox seconds")
        sampler.stop()
        other_cpu = (
            (machine_busy_seconds() - busy_start) - (own_busy_seconds(watched) - own_start)
        ) / max(1e-6, time.monotonic() - mono_start)
        after = _counts(state)
        servers = state.get("servers", [])
        services = [_service_of(str(s.get("label", "")), tag) for s in servers]
        duplicates = len(services) - len(set(services))
        # Orders exist from their due time: a system that makes the panel wait for its
        # reply does not get a later (kinder) floor for it.
        arrivals = [(clock.at(t) - clock.at(t0)) for t in panel.first_due.values()]
        first = [r for r in panel.results if r.attempt == 1]
        running_at = seen_running_at
        if seen_running_at is not None:
            if check.mismatches == 0 and len(check.predicted) >= cfg.orders:
                running_at = max(check.predicted.values()) - clock.at(t0)
            else:
                notes.append(
                    f"seeded build prediction disagreed with the sandbox {check.mismatches} times"
                    f" in {check.checked} checks: time to running is the polled one (±0.25 s wall)"
                )
        result = Result(
            system=name,
            cfg=cfg,
            finished=done_at is not None,
            servers_running=running,
            credentials_fetched=delivered,
            requests_total=after["total"] - before["total"],
            requests_429=after["rateLimited"] - before["rateLimited"],
            requests_by_route=_delta(after["byRoute"], before["byRoute"]),
            requests_by_status=_delta(after["byStatus"], before["byStatus"]),
            time_to_running=running_at,
            time_to_done=done_at,
            creates_at=sorted(_epoch(s["createdAt"]) - clock.at(t0) for s in servers),
            ideal_creates_at=floor.fixed_window_schedule(arrivals),
            floor=floor.seeded_floor_seconds(arrivals, builds),
            floor_worst=floor.floor_seconds(arrivals),
            floor_sliding=floor.floor_seconds(arrivals, sliding=True),
            floor_90=floor.seeded_floor_seconds(arrivals, builds, limit=90, sliding=True),
            hook_latencies_ms=[r.latency * 1000 for r in sorted(first, key=lambda r: r.due)],
            hook_lag_ms=[r.lag * 1000 for r in first],
            hooks_failed_first_try=sum(1 for r in first if not 200 <= r.status < 300),
            hook_statuses=dict(sorted(Counter(str(r.status) for r in first).items())),
            hook_retries=sum(1 for r in panel.results if r.attempt > 1),
            duplicates=duplicates,
            peak_rss_kib=sampler.total_kib,
            cpu_seconds=sampler.cpu_seconds,
            load_average=(load_before, os.getloadavg()[0]),
            other_cpu=max(0.0, other_cpu),
            rss_by_process=sampler.by_process(),
            wall_seconds=time.monotonic() - wall_start,
            notes=notes,
        )
        progress(f"[{name}] done in {result.wall_seconds:.1f} s wall")
        return result
    except BaseException:
        progress(f"[{name}] failed; system log tail:\n{system.log()[-3000:]}")
        raise
    finally:
        if panel is not None:
            panel.close()
        if sampler is not None and sampler._thread.is_alive():
            sampler.stop()
        system.stop()
        sandbox.stop()


def summary_line(r: Result) -> str:
    """One human line per result for the console."""
    ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}x"
    return (
        f"{r.system:>9}: {r.requests_per_server:.2f} req/server, {r.requests_429} 429s,"
        f" running in {r.time_to_running or float('nan'):.0f} s (floor {r.floor:.0f} s, {ratio}),"
        f" hook p50 {r.percentile(50):.1f} ms p99 {r.percentile(99):.1f} ms,"
        f" peak RSS {r.peak_rss_kib / 1024:.0f} MiB,"
        f" CPU {r.cpu_seconds * 1000 / max(1, r.cfg.orders):.1f} ms/order"
    )

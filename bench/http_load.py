"""HTTP throughput and latency beside a bare endpoint, measured in the same run.

    python -m bench http [--seconds 10] [--connections 32]

A fresh database on BENCH_DATABASE_URL (default: the embedded server under var/bench),
migrated and seeded with the demo town. Two servers, one uvicorn process each, pinned
to CPU 0 when ``taskset`` is there: redgrid (``redgrid serve``) and ``bench/bare.py``
(FastAPI on an asyncpg pool: a constant, and one row by primary key — no auth, no
ORM). The load comes from ``wrk`` (apt ``wrk``; pinned to CPU 1), which is not the
bottleneck: the bare constant endpoint shows what it reaches. Each scenario runs A B A B
(reference, redgrid, reference, redgrid), ``wrk -t1 -c<connections> -d<seconds>s
--latency``; the table gives redgrid's mean throughput, p50 and p99, the server's CPU per
request, its peak RSS, and the **ratio** of its throughput to the reference's. Figures
are the machine's, not a test's: nothing here is asserted.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    role: str | None
    reference: str
    """The bare endpoint it is compared with: ``/const`` or ``/row/{id}``."""
    body: dict[str, object] | None = None
    rotate: tuple[str, ...] = ()
    """Paths taken in turn, each ``repeat`` times in a row (claims: several requests
    contend for each pooled order, one wins, the others get 409)."""
    repeat: int = 1
    keyed: bool = False
    """Send a fresh Idempotency-Key with every request (a write that requires one)."""


@dataclass
class Run:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_request: float
    peak_rss_mib: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pinned(cpu: int) -> list[str]:
    """Pinned to one CPU when there are two to share and ``taskset`` is there."""
    return (
        ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []
    )


def _start(
    command: list[str], env: dict[str, str], port: int, *, pin: bool = True
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [*(_pinned(0) if pin else []), *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server on port {port} did not start: {' '.join(command)}")


def _server_process(process: subprocess.Popen[bytes]) -> psutil.Process:
    """The process that serves (taskset execs, so it is the same pid)."""
    return psutil.Process(process.pid)


def _tree(server: psutil.Process) -> list[psutil.Process]:
    """The server and its worker processes (``--workers N``)."""
    return [server, *server.children(recursive=True)]


def _cpu(server: psutil.Process) -> float:
    """CPU seconds of the server's process tree so far."""
    total = 0.0
    for process in _tree(server):
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _rss(server: psutil.Process) -> int:
    """Resident memory of the server's process tree (every worker's)."""
    total = 0
    for process in _tree(server):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)|Socket errors:.*?timeout (\d+)")
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _lua_string(text: str) -> str:
    """A Lua literal of ``text``'s UTF-8 bytes, every byte outside printable ASCII (and
    every quote and backslash) as a decimal escape, which LuaJIT reads byte for byte."""
    raw = text.encode()
    return (
        '"'
        + "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in raw)
        + '"'
    )


def _wrk(url: str, scenario: Scenario, token: str | None, seconds: int, connections: int) -> str:
    lines = [f'wrk.method = "{scenario.method}"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if scenario.body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = {_lua_string(json.dumps(scenario.body, ensure_ascii=False))}")
    if scenario.rotate or scenario.keyed:
        paths = ", ".join(_lua_string(p) for p in scenario.rotate) or _lua_string(scenario.path)
        lines += [
            f"local paths = {{{paths}}}",
            f"local run = {_lua_string(f'{time.time_ns():x}')}",
            "local n = 0",
            "request = function()",
            f"  local path = paths[(math.floor(n / {scenario.repeat}) % #paths) + 1]",
            "  n = n + 1",
            '  if {keyed} then wrk.headers["Idempotency-Key"] = run .. "-" .. n end'.format(
                keyed="true" if scenario.keyed else "false"
            ),
            "  return wrk.format(nil, path)",
            "end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        command = [
            *_pinned(1),
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            script.name,
            url,
        ]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)


def _measure(
    server: psutil.Process,
    url: str,
    scenario: Scenario,
    token: str | None,
    args: argparse.Namespace,
) -> Run:
    peak = [_rss(server)]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _rss(server))

    sampler = threading.Thread(target=sample, daemon=True)
    before = _cpu(server)
    sampler.start()
    out = _wrk(url, scenario, token, args.seconds, args.connections)
    done.set()
    sampler.join()
    after = _cpu(server)
    found = _RATE.search(out)
    if found is None:
        raise SystemExit(f"wrk printed no rate:\n{out}")
    rate = float(found.group(1))
    latency = {m[0]: float(m[1]) * _SCALE[m[2]] for m in _LATENCY.findall(out)}
    errors = sum(int(a or b or 0) for a, b in _ERRORS.findall(out))
    cpu = after - before
    total = rate * args.seconds
    per_request = cpu / total * 1000 if total else float("nan")  # nothing answered in time
    return Run(rate, latency["50"], latency["99"], errors, per_request, peak[0] / 2**20)


def _token(base: str, username: str) -> str:
    from app.demo.town import DEMO_PASSWORD

    response = httpx.post(
        f"{base}/api/v1/auth/token",
        data={"username": username, "password": DEMO_PASSWORD, "grant_type": "password"},
        timeout=30,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def _scenarios(base: str, tokens: dict[str, str], only: str | None = None) -> list[Scenario]:
    """Every scenario (those named with ``only`` when given); the claim pool and the
    redemption funds are prepared only for a run that includes them."""

    def wanted(name: str) -> bool:
        return not only or only in name

    def get(path: str, role: str) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        response = httpx.get(f"{base}{path}", headers=headers, timeout=30)
        response.raise_for_status()
        return dict(response.json())

    orders = get("/api/v1/orders?limit=1", "hongxing_dispatch")["items"]
    order_id = orders[0]["id"]  # type: ignore[index]
    community = get("/api/v1/me", "hongxing_dispatch")["grants"][0]["org_unit_id"]  # type: ignore[index]
    me = get("/api/v1/me", "resident_demo")
    home = me["grants"][0]["org_unit_id"]  # type: ignore[index]
    categories = httpx.get(
        f"{base}/api/v1/order-categories",
        headers={"Authorization": f"Bearer {tokens['resident_demo']}"},
        timeout=30,
    ).json()
    listed = categories["items"] if isinstance(categories, dict) else categories
    category = listed[0]["code"]
    row = f"/row/{order_id}"
    member = get("/api/v1/points/me", "member_demo")
    cheapest = min(
        get("/api/v1/rewards?limit=50", "member_demo")["items"],  # type: ignore[arg-type]
        key=lambda r: r["price_points"],
    )
    if wanted(REDEEM):
        _fund_redemptions(base, tokens, int(member["person_id"]), int(cheapest["id"]))  # type: ignore[call-overload]
    order_body = {
        "category": category,
        "title": "楼道灯不亮",
        "description": "三楼楼道灯坏了",
        "channel": "miniprogram",
        "location_unit_id": home,
    }
    pool = _pooled_orders(base, tokens, order_body, CLAIM_POOL if wanted(CLAIM) else 1)
    return [
        Scenario("GET /healthz", "GET", "/healthz", None, "/const"),
        Scenario(
            "GET /orders/{id} (dispatcher)",
            "GET",
            f"/api/v1/orders/{order_id}",
            "hongxing_dispatch",
            row,
        ),
        Scenario(
            "GET /orders?limit=20", "GET", "/api/v1/orders?limit=20", "hongxing_dispatch", row
        ),
        Scenario(
            "GET /org-units/{id}", "GET", f"/api/v1/org-units/{home}", "hongxing_dispatch", row
        ),
        Scenario("GET /points/me (member)", "GET", "/api/v1/points/me", "member_demo", row),
        Scenario(
            "GET /points/leaderboard",
            "GET",
            f"/api/v1/points/leaderboard?unit_id={community}&period=year",
            "hongxing_dispatch",
            row,
        ),
        Scenario(
            "GET /points/me/statement",
            "GET",
            "/api/v1/points/me/statement?limit=20",
            "member_demo",
            row,
        ),
        Scenario("GET /stats/orders (town)", "GET", "/api/v1/stats/orders", "shilong_admin", row),
        Scenario(
            "POST /orders (resident)", "POST", "/api/v1/orders", "resident_demo", row, order_body
        ),
        Scenario(
            CLAIM,
            "POST",
            pool[0],
            "member_demo",
            row,
            rotate=tuple(pool),
            repeat=CLAIM_CONTENDERS,
            keyed=True,
        ),
        Scenario(
            REDEEM,
            "POST",
            f"/api/v1/rewards/{cheapest['id']}/redeem",
            "member_demo",
            row,
            keyed=True,
        ),
    ]


CLAIM_CONTENDERS = 4
"""Claims sent in a row for each pooled order: one wins, the others get 409."""
CLAIM = f"POST claim ({CLAIM_CONTENDERS} per order)"
REDEEM = "POST /rewards/{id}/redeem"
CLAIM_POOL = 300
"""Pooled orders the claim scenario contends for; past them, every claim loses (409)."""


def _post(base: str, path: str, token: str, body: object = None) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": os.urandom(8).hex()}
    response = httpx.post(f"{base}{path}", json=body, headers=headers, timeout=60)
    response.raise_for_status()
    return dict(response.json()) if response.content else {}


def _pooled_orders(
    base: str, tokens: dict[str, str], body: dict[str, object], count: int
) -> list[str]:
    """``count`` orders submitted by the resident, triaged and put in the claim pool."""
    paths = []
    for _ in range(count):
        order = _post(base, "/api/v1/orders", tokens["resident_demo"], body)
        for step in ("triage", "pool"):
            _post(base, f"/api/v1/orders/{order['id']}/{step}", tokens["hongxing_dispatch"], {})
        paths.append(f"/api/v1/orders/{order['id']}/claim")
    return paths


def _fund_redemptions(base: str, tokens: dict[str, str], person_id: int, reward_id: int) -> None:
    """Points and stock for a run of redemptions, through the API: manual awards (the
    bench server's approval threshold is raised so they post at once) and a restock."""
    for _ in range(5):
        award = {"person_id": person_id, "amount": 100_000, "reason": "基准测试 · benchmark"}
        _post(base, "/api/v1/points/adjustments", tokens["shilong_admin"], award)
    _post(
        base, f"/api/v1/rewards/{reward_id}/restock", tokens["shilong_admin"], {"quantity": 100_000}
    )


def start_bare(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The reference: ``bench/bare.py`` in one uvicorn process on ``port``."""
    command = [sys.executable, "-m", "uvicorn", "bench.bare:app", "--port", str(port)]
    return _start([*command, "--log-level", "warning", "--no-access-log"], env, port)


def compare(
    ours: psutil.Process,
    bare: psutil.Process,
    base: str,
    reference: str,
    scenario: Scenario,
    tokens: dict[str, str],
    args: argparse.Namespace,
) -> str:
    """One scenario A B A B beside its reference, as a table row (means of the two
    runs; p99 and peak RSS their maximum; the ratio of the mean throughputs)."""
    ref_scenario = Scenario("ref", "GET", scenario.reference, None, scenario.reference)
    refs, mine = [], []
    for _ in range(2):
        refs.append(_measure(bare, reference + scenario.reference, ref_scenario, None, args))
        token = tokens.get(scenario.role or "")
        mine.append(_measure(ours, base + scenario.path, scenario, token, args))
    ref_rate = sum(r.requests_per_second for r in refs) / len(refs)
    rate = sum(r.requests_per_second for r in mine) / len(mine)
    p50 = sum(r.p50_ms for r in mine) / len(mine)
    p99 = max(r.p99_ms for r in mine)
    cpu = sum(r.cpu_ms_per_request for r in mine) / len(mine)
    rss = max(r.peak_rss_mib for r in mine)
    errors = sum(r.errors for r in mine)
    note = f" ({errors} non-2xx)" if errors else ""
    return (
        f"| {scenario.name:<32} | {rate:,.0f}{note} | {p50:.1f} / {p99:.1f} | {cpu:.2f} "
        f"| {rss:.0f} | {ref_rate:,.0f} ({scenario.reference.split('/')[1]}) "
        f"| **{rate / ref_rate:.3f}** |"
    )


def run(
    server_url: str,
    *,
    seconds: int = 10,
    connections: int = 32,
    keep: bool = False,
    workers: int = 1,
    only: str | None = None,
    port: int | None = None,
) -> None:
    from app.cli import migrate
    from tests.support.databases import base_name, drop_database, recreate_database

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    args = argparse.Namespace(seconds=seconds, connections=connections)
    name = f"{base_name(server_url)}_http"
    database_url = recreate_database(server_url, name)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDGRID_LOG_LEVEL": "WARNING",
        # The redemption scenario funds the member with manual awards posted at once.
        "REDGRID_POINTS_APPROVAL_THRESHOLD": "1000000",
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        migrate(database_url)
        subprocess.run(
            [sys.executable, "-m", "app.cli", "seed-demo"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        ours, bare = (port, port + 1) if port else (_free_port(), _free_port())
        if workers == 1:
            command = [sys.executable, "-m", "app.cli", "serve", "--port", str(ours)]
        else:
            # N uvicorn worker processes, each building the app (its own pool and caches).
            command = [
                *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
                *("--port", str(ours), "--workers", str(workers)),
                *("--log-level", "warning", "--no-access-log"),
            ]
        servers.append(_start(command, env, ours, pin=workers == 1))
        servers.append(start_bare(env, bare))
        base, reference = f"http://127.0.0.1:{ours}", f"http://127.0.0.1:{bare}"
        users = {"hongxing_dispatch", "member_demo", "resident_demo", "shilong_admin"}
        tokens = {user: _token(base, user) for user in users}
        ours_process, bare_process = (_server_process(s) for s in servers)
        print(
            f"http: wrk -t1 -c{connections} -d{seconds}s, A B A B; redgrid {workers} uvicorn "
            f"worker(s), the reference one; {os.cpu_count()} CPUs"
        )
        header = (
            f"| {'scenario':<32} | req/s | p50 / p99 ms | CPU ms/req | peak RSS MiB "
            f"| reference req/s | ratio |"
        )
        print(header)
        print("|" + "---|" * 7)
        for scenario in _scenarios(base, tokens, only):
            if only and only not in scenario.name:
                continue
            print(
                compare(ours_process, bare_process, base, reference, scenario, tokens, args),
                flush=True,
            )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        if not keep:
            drop_database(server_url, name)


def main() -> None:
    from bench.__main__ import server_url

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--only", help="run the scenarios whose name contains this")
    parser.add_argument(
        "--port", type=int, help="redgrid's port, the reference's +1 (default: free)"
    )
    args = parser.parse_args()
    run(
        server_url(),
        seconds=args.seconds,
        connections=args.connections,
        keep=args.keep,
        workers=args.workers,
        only=args.only,
        port=args.port,
    )


if __name__ == "__main__":
    main()

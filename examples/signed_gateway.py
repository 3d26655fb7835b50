"""A 12345 platform against a running demo, over HTTP only: an administrator issues
the platform an SM3 signing key; the platform files a case and triages it with signed
requests (no token), sees a replay and a stale timestamp refused, and receives the
signed step reports on a small server of its own, verifying each one.

    REDGRID_WEBHOOK_ALLOW_PRIVATE_URLS=true make run     # reports may go to 127.0.0.1
    .venv/bin/python examples/signed_gateway.py [http://127.0.0.1:8000] [report port]

The signing is written here from the README ("Signed requests") with the standard
library and ``cryptography`` (for SM3), as an integrator would write it.
"""

import hmac
import json
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

SERVER = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
REPORT_PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 18765
BASE = SERVER + "/api/v1"
PASSWORD = "Hongqi@2026"
ALGORITHM = "hmac-sm3"


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3_hex(key: str, message: str) -> str:
    mac = crypto_hmac.HMAC(key.encode(), hashes.SM3())
    mac.update(message.encode())
    return mac.finalize().hex()


def canonical(method: str, url: str, timestamp: str, nonce: str, body: bytes) -> str:
    parts = urlsplit(url)
    path = quote(unquote(parts.path or "/"), safe="/")
    pairs = sorted(
        (quote(k, safe=""), quote(v, safe=""))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return "\n".join([method, path, query, timestamp, nonce, sm3_hex(body)])


def sign(key: str, secret: str, method: str, url: str, body: bytes, stamp: int) -> dict[str, str]:
    nonce = secrets.token_urlsafe(16)
    text = canonical(method, url, str(stamp), nonce, body)
    return {
        "X-Redgrid-Key": key,
        "X-Redgrid-Timestamp": str(stamp),
        "X-Redgrid-Nonce": nonce,
        "X-Redgrid-Signature": hmac_sm3_hex(secret, text),
    }


class Reports(BaseHTTPRequestHandler):
    """The platform's report URL: verifies each report's signature."""

    secret = ""
    received: ClassVar[list[tuple[bool, dict[str, object]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        text = canonical(
            "POST",
            self.path,
            self.headers["X-Redgrid-Timestamp"],
            self.headers["X-Redgrid-Nonce"],
            body,
        )
        ok = hmac.compare_digest(
            hmac_sm3_hex(self.secret, text), self.headers["X-Redgrid-Signature"]
        )
        self.received.append((ok, json.loads(body)))
        self.send_response(200 if ok else 401)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    with httpx.Client(base_url=BASE, timeout=30) as http:
        token = http.post(
            "/auth/token",
            data={"grant_type": "password", "username": "admin", "password": PASSWORD},
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        town = http.get("/org-units", params={"level": "town"}, headers=admin).json()["items"][0]
        grid = http.get("/org-units", params={"level": "grid"}, headers=admin).json()["items"][0]
        created = http.post(
            "/api-clients",
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "name": "区 12345 热线",
                "org_unit_id": town["id"],
                "scopes": ["orders.submit_for", "orders.read", "orders.dispatch"],
            },
        ).json()
        report_url = f"http://127.0.0.1:{REPORT_PORT}/redgrid/reports"
        issued = http.post(
            f"/api-clients/{created['id']}/signing-key",
            headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
            json={"algorithm": ALGORITHM, "report_url": report_url},
        )
        if issued.status_code == 422:
            print(
                "report URL refused (start the server with REDGRID_WEBHOOK_ALLOW_PRIVATE_URLS=true)"
            )
            issued = http.post(
                f"/api-clients/{created['id']}/signing-key",
                headers={**admin, "Idempotency-Key": uuid.uuid4().hex},
                json={"algorithm": ALGORITHM},
            )
        key = issued.json()
        client_id, secret = key["client_id"], key["signing_secret"]
        print(f"client {client_id}: {key['algorithm']} key issued, reports to {key['report_url']}")

        Reports.secret = secret
        receiver = HTTPServer(("127.0.0.1", REPORT_PORT), Reports)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()

        def post(path: str, payload: dict[str, object], stamp: int | None = None):  # type: ignore[no-untyped-def]
            body = json.dumps(payload, ensure_ascii=False).encode()
            headers = sign(
                client_id, secret, "POST", f"/api/v1{path}", body, stamp or int(time.time())
            )
            headers["Content-Type"] = "application/json"
            return http.post(path, content=body, headers=headers), headers, body

        case = f"12345-{time.strftime('%Y%m%d')}-{secrets.randbelow(10**6):06d}"
        filed, headers, body = post(
            "/orders",
            {
                "category": "repair",
                "title": "路灯不亮",
                "description": "12345 转办：小区门口路灯不亮",
                "channel": "gov_api",
                "location_unit_id": grid["id"],
                "external_ref": case,
            },
        )
        print(f"signed POST /orders            {filed.status_code} {filed.json().get('number')}")
        replay = http.post("/orders", content=body, headers=headers)
        print(f"the same request again         {replay.status_code} {replay.json()['code']}")
        stale, _, _ = post("/orders", {"category": "repair"}, stamp=int(time.time()) - 600)
        print(f"ten minutes old                {stale.status_code} {stale.json()['code']}")
        order_id = filed.json()["id"]
        triaged, _, _ = post(f"/orders/{order_id}/triage", {"priority": 2})
        status = triaged.json()["status"]
        print(f"signed POST /orders/{order_id}/triage {triaged.status_code} {status}")

        if key["report_url"]:
            deadline = time.monotonic() + 30
            while len(Reports.received) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            for ok, report in Reports.received:
                print(f"report {report['type']:<16} case {report['case_number']} verified={ok}")
        receiver.shutdown()
        http.delete(f"/api-clients/{created['id']}", headers=admin)


if __name__ == "__main__":
    main()

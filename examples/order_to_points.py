"""Walk one order from 点单 to 办结 against a running demo (`make run`), over HTTP only,
and show the member's points arrive.

    .venv/bin/python examples/order_to_points.py [http://127.0.0.1:8000]
"""

import sys
import uuid

import httpx

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000") + "/api/v1"
PASSWORD = "Hongqi@2026"


def login(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": "Bearer " + response.json()["access_token"]}


def main() -> None:
    with httpx.Client(base_url=BASE, timeout=30) as client:
        resident, dispatcher, member = (
            login(client, name) for name in ("resident_demo", "hongxing_dispatch", "member_demo")
        )
        member_person = client.get("/me", headers=member).json()["person"]["id"]
        before = client.get("/points/me", headers=member).json()["balance"]
        order = client.post(
            "/orders",
            headers={**resident, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "category": "repair",
                "channel": "miniprogram",
                "title": "楼道灯不亮",
                "description": "3楼楼道灯坏了",
            },
        ).json()
        print("submitted", order["number"])

        def step(headers: dict[str, str], name: str, body: dict[str, object] | None = None) -> None:
            response = client.post(f"/orders/{order['id']}/{name}", headers=headers, json=body)
            print(f"  {name:<9} {response.status_code} {response.json().get('status')}")
            response.raise_for_status()

        step(dispatcher, "triage", {"priority": 2})
        step(dispatcher, "dispatch", {"kind": "member", "member_person_id": member_person})
        step(member, "accept")
        step(member, "contact")
        step(member, "resolve", {"result": "已更换灯泡", "photos": []})
        step(resident, "feedback", {"resolved": "yes", "satisfied": "satisfied"})
        after = client.get("/points/me", headers=member).json()["balance"]
        print(f"member balance {before} -> {after}")


if __name__ == "__main__":
    main()

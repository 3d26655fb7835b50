"""Open311 GeoReport v2 (/open311/v2): a government system files an order in JSON and in
XML with its api_key, follows it to closure and reads it back; answers have the shapes
of the spec's own examples (http://wiki.open311.org/GeoReport_v2), errors included."""

import functools
import json
from xml.etree import ElementTree as ET

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ApiClient
from app.kit.hashing import hash_password
from tests.orders.conftest import World, ok

BASE = "/open311/v2"
SECRET = "open311-secret-for-tests"

# The spec's examples (GeoReport v2), as their members.
SPEC_SERVICE = {
    "service_code": "001",
    "service_name": "Cans left out 24x7",
    "description": "Garbage or recycling cans that have been left out for more than 24 hours",
    "metadata": True,
    "type": "realtime",
    "keywords": "lorem, ipsum, dolor",
    "group": "sanitation",
}
SPEC_POSTED = {"service_request_id": 293944, "service_notice": "…", "account_id": None}
SPEC_REQUEST = {
    "service_request_id": 638344,
    "status": "closed",
    "status_notes": "Duplicate request.",
    "service_name": "Sidewalk and Curb Issues",
    "service_code": "006",
    "description": None,
    "agency_responsible": None,
    "service_notice": None,
    "requested_datetime": "2010-04-14T06:37:38-08:00",
    "updated_datetime": "2010-04-14T06:37:38-08:00",
    "expected_datetime": "2010-04-15T06:37:38-08:00",
    "address": "8TH AVE and JUDAH ST",
    "address_id": 545483,
    "zipcode": 94122,
    "lat": 37.762221815,
    "long": -122.4651145,
    "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg",
}
SPEC_TOKEN = {"service_request_id": 638344, "token": "12345"}
SPEC_ERROR = {"code": 403, "description": "Invalid api_key"}


@functools.cache
def _secret_hash() -> str:
    return hash_password(SECRET)


async def _api_key(db: AsyncSession, world: World, scopes: list[str]) -> str:
    client = ApiClient(
        client_id=f"cli_open311_{len(scopes)}",
        name="12345 热线",
        secret_hash=_secret_hash(),
        scopes=scopes,
        org_unit_id=world.id("c1"),
    )
    db.add(client)
    await db.flush()
    return f"{client.client_id}:{SECRET}"


def _xml_rows(response: httpx.Response, root: str) -> list[dict[str, str | None]]:
    assert response.headers["content-type"].startswith("text/xml")
    tree = ET.fromstring(response.content)
    assert tree.tag == root
    return [{child.tag: child.text for child in item} for item in tree]


async def test_discovery_and_services_in_both_formats(
    client: httpx.AsyncClient, world: World
) -> None:
    discovery = (await client.get(f"{BASE}/discovery.json")).json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ET.fromstring((await client.get(f"{BASE}/discovery.xml")).content).tag == "discovery"

    town = world.unit("town").code
    services = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": town})
    assert services.status_code == 200
    rows = services.json()
    assert all(set(row) == set(SPEC_SERVICE) for row in rows)
    assert "repair" in {row["service_code"] for row in rows}
    xml_rows = _xml_rows(await client.get(f"{BASE}/services.xml"), "services")
    assert all(set(row) == set(SPEC_SERVICE) for row in xml_rows)

    definition = (await client.get(f"{BASE}/services/repair.json")).json()
    assert definition == {"service_code": "repair", "attributes": []}
    missing = await client.get(f"{BASE}/services.json", params={"jurisdiction_id": "NOPE"})
    assert missing.status_code == 404
    assert [set(e) for e in missing.json()] == [set(SPEC_ERROR)]


async def test_a_request_filed_in_json_and_xml_is_followed_to_closure(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    api_key = await _api_key(db, world, ["orders.submit_for", "orders.read"])
    town = world.unit("town").code
    posted = await client.post(
        f"{BASE}/requests.json",
        data={
            "api_key": api_key,
            "jurisdiction_id": town,
            "service_code": "repair",
            "lat": "23.020536",
            "long": "113.751765",
            "address_string": "红星社区 3 栋楼道",
            "address_id": str(world.id("b1")),
            "media_url": "https://files.example.cn/open311/1.jpg",
            "description": "楼道灯不亮",
            "attribute[floor]": "3",
            "token": "12345-2026-0001",
        },
    )
    assert posted.status_code == 200, posted.text
    (answer,) = posted.json()
    assert set(answer) == set(SPEC_POSTED)
    request_id = answer["service_request_id"]

    read = await client.get(f"{BASE}/requests/{request_id}.json", params={"api_key": api_key})
    (row,) = read.json()
    assert set(row) == set(SPEC_REQUEST)
    assert row["status"] == "open"
    assert (row["lat"], row["long"]) == (23.020536, 113.751765)
    assert row["address"] == "红星社区 3 栋楼道" and row["address_id"] == str(world.id("b1"))
    assert row["media_url"] == "https://files.example.cn/open311/1.jpg"
    assert "floor: 3" in row["description"]

    token = await client.get(f"{BASE}/tokens/12345-2026-0001.json", params={"api_key": api_key})
    assert token.json() == [{"service_request_id": request_id, "token": "12345-2026-0001"}]
    assert set(token.json()[0]) == set(SPEC_TOKEN)

    # The order runs its course in redgrid; resolved (办结) is Open311's closed.
    order_id = int(request_id)
    member = world.person("member")
    await ok(client, world, "dispatcher", order_id, "triage", {"priority": 2})
    await ok(
        client,
        world,
        "dispatcher",
        order_id,
        "dispatch",
        {"kind": "member", "member_person_id": member.id},
    )
    await ok(client, world, "member", order_id, "accept")
    await ok(client, world, "member", order_id, "resolve", {"result": "更换灯泡"})
    closed = await client.get(
        f"{BASE}/requests.xml", params={"api_key": api_key, "status": "closed"}
    )
    rows = _xml_rows(closed, "service_requests")
    (mine,) = [r for r in rows if r["service_request_id"] == request_id]
    assert set(mine) == set(SPEC_REQUEST)
    assert mine["status"] == "closed" and mine["expected_datetime"]
    assert mine["status_notes"] and "resolved" in mine["status_notes"]
    assert request_id not in {
        r["service_request_id"]
        for r in (
            await client.get(f"{BASE}/requests.json", params={"api_key": api_key, "status": "open"})
        ).json()
    }

    posted_xml = await client.post(
        f"{BASE}/requests.xml",
        data={"api_key": api_key, "service_code": "repair", "address_string": "4 栋门口"},
    )
    (xml_answer,) = _xml_rows(posted_xml, "service_requests")
    assert set(xml_answer) == set(SPEC_POSTED)
    paged = await client.get(
        f"{BASE}/requests.json", params={"api_key": api_key, "page": "1", "page_size": "1"}
    )
    assert [r["service_request_id"] for r in paged.json()] == [xml_answer["service_request_id"]]


async def test_errors_as_the_spec_shows_them(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    refused = await client.post(
        f"{BASE}/requests.json", data={"api_key": "cli_nobody:wrong", "service_code": "repair"}
    )
    assert refused.status_code == 403
    assert [set(e) for e in refused.json()] == [set(SPEC_ERROR)]
    assert refused.json()[0]["code"] == 403
    refused_xml = await client.get(f"{BASE}/requests.xml")
    assert refused_xml.status_code == 403
    (error,) = _xml_rows(refused_xml, "errors")
    assert set(error) == set(SPEC_ERROR) and error["code"] == "403"

    reader = await _api_key(db, world, ["orders.read"])
    cannot_file = await client.post(
        f"{BASE}/requests.json",
        data={"api_key": reader, "service_code": "repair", "address_string": "x"},
    )
    assert cannot_file.status_code == 403
    filer = await _api_key(db, world, ["orders.submit_for", "orders.read"])
    for bad in ({"lat": "91", "long": "0"}, {"lat": "1"}, {"service_code": "nope"}, {}):
        form = {"api_key": filer, "service_code": "repair", "address_string": "x"} | bad
        if bad == {}:
            form.pop("address_string")
        answer = await client.post(f"{BASE}/requests.json", data=form)
        assert answer.status_code in (400, 404), answer.text
        assert json.loads(answer.text)[0]["code"] == answer.status_code
    unknown = await client.get(f"{BASE}/requests/999999.json", params={"api_key": filer})
    assert unknown.status_code == 404
    assert (await client.get(f"{BASE}/services.yaml")).status_code == 404


# Each request checks an api_key (argon2): a value per way of being wrong keeps it short.
HOSTILE = ["a\x00b", "x" * 5000, "9223372036854775808", "1e400"]
FIELDS = [
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "media_url",
    "description",
    "first_name",
    "phone",
    "token",
]
QUERY = [
    "api_key",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "page",
    "page_size",
    "jurisdiction_id",
]


async def test_no_hostile_input_gets_a_server_error(
    client: httpx.AsyncClient, db: AsyncSession, world: World
) -> None:
    api_key = await _api_key(db, world, ["orders.submit_for", "orders.read"])
    base = {"api_key": api_key, "service_code": "repair", "address_string": "x"}
    for field in FIELDS:
        for value in HOSTILE:
            answer = await client.post(f"{BASE}/requests.json", data=base | {field: value})
            assert answer.status_code < 500, (field, value, answer.text)
    for field in QUERY:
        for value in HOSTILE:
            params = {"api_key": api_key} | {field: value}
            answer = await client.get(f"{BASE}/requests.xml", params=params)
            assert answer.status_code < 500, (field, value, answer.text)
    for segment in ("%00", "9" * 30, "..", "x" * 300):
        for path in (
            f"requests/{segment}.json",
            f"services/{segment}.xml",
            f"tokens/{segment}.json",
        ):
            answer = await client.get(f"{BASE}/{path}", params={"api_key": api_key})
            assert answer.status_code < 500, (path, answer.text)

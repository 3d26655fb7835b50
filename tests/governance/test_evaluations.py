"""/api/v1/questionnaires and /evaluations: 物业/业委会评议 — one answer per household,
scores by hand, trends, a town's ranking, re-tender by 五议, and the xlsx report."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.governance.evaluations.rules import Item, ranks, score
from tests.governance.conftest import World, assert_problem, created, ok
from tests.governance.test_bodies import make_body
from tests.support.factory import make_person, make_unit

ITEMS = [
    {"code": "cleaning", "text": "环境卫生", "weight": 40},
    {"code": "security", "text": "安全秩序", "weight": 30},
    {"code": "repair", "text": "维修响应", "weight": 30},
]


async def questionnaire(
    client: httpx.AsyncClient, world: World, target_kind: str = "property_company"
) -> dict[str, Any]:
    body = {
        "org_unit_id": world.unit("town").id,
        "target_kind": target_kind,
        "title": "物业服务满意度评议",
        "items": ITEMS,
    }
    response = await client.post("/api/v1/questionnaires", json=body, headers=world["town_admin"])
    return await created(response)


async def company_serving(
    client: httpx.AsyncClient, world: World, compound: str = "g1", name: str = "粤华物业"
) -> dict[str, Any]:
    company = await make_body(client, world, name=name)
    await created(
        await client.post(
            f"/api/v1/partner-bodies/{company['id']}/contracts",
            json={
                "org_unit_id": world.unit(compound).id,
                "starts_on": "2025-01-01",
                "ends_on": "2099-12-31",
            },
            headers=world["admin"],
        )
    )
    return company


async def evaluation(
    client: httpx.AsyncClient,
    world: World,
    questionnaire_id: int,
    body_id: int,
    compound: str = "g1",
    **fields: Any,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    body = {
        "org_unit_id": world.unit(compound).id,
        "questionnaire_id": questionnaire_id,
        "body_id": body_id,
        "period": "2026Q4",
        "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
    } | fields
    return await created(
        await client.post("/api/v1/evaluations", json=body, headers=world["admin"])
    )


async def answer(
    client: httpx.AsyncClient, world: World, evaluation_id: int, who: str, c: int, s: int, r: int
) -> httpx.Response:
    body = {"answers": {"cleaning": c, "security": s, "repair": r}}
    url = f"/api/v1/evaluations/{evaluation_id}/responses"
    return await client.post(url, json=body, headers=world[who])


async def close(client: httpx.AsyncClient, world: World, evaluation_id: int) -> dict[str, Any]:
    url = f"/api/v1/evaluations/{evaluation_id}"
    version = (await client.get(url, headers=world["admin"])).headers["etag"]
    return await ok(
        await client.post(f"{url}/close", headers=world["admin"] | {"If-Match": version})
    )


def test_scores_by_hand() -> None:
    items = [Item(i["code"], i["text"], i["weight"]) for i in ITEMS]
    scores = score(items, {"cleaning": (14, 3), "security": (12, 3), "repair": (9, 3)}, 3)
    assert [(s.mean, s.score) for s in scores.items] == [
        (Decimal("4.67"), Decimal("93.33")),
        (Decimal("4.00"), Decimal("80.00")),
        (Decimal("3.00"), Decimal("60.00")),
    ]
    # (40 × 93.333… + 30 × 80 + 30 × 60) / 100 = 79.333…
    assert scores.overall == Decimal("79.33")
    assert score(items, {}, 0).overall is None
    assert ranks([Decimal(90), None, Decimal(80), Decimal(90)]) == [1, None, 3, 1]


class TestQuestionnaires:
    async def test_kept_by_a_town(self, client: httpx.AsyncClient, world: World) -> None:
        made = await questionnaire(client, world)
        assert made["items"] == ITEMS and made["town_id"] == world.unit("town").id
        body = {
            "org_unit_id": world.unit("town").id,
            "target_kind": "property_company",
            "title": "x",
            "items": ITEMS,
        }
        response = await client.post("/api/v1/questionnaires", json=body, headers=world["admin"])
        assert_problem(response, 404, "governance.unit_not_found")
        twice = body | {"items": [ITEMS[0], ITEMS[0]]}
        response = await client.post(
            "/api/v1/questionnaires", json=twice, headers=world["town_admin"]
        )
        assert response.status_code == 422

    async def test_apply_to_the_subtree_below(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        made = await questionnaire(client, world)
        url = f"/api/v1/questionnaires/{made['id']}"
        for caller in ("admin", "sibling", "resident"):
            assert (await ok(await client.get(url, headers=world[caller])))["id"] == made["id"]
        assert_problem(
            await client.get(url, headers=world["other_town_admin"]), 404, "questionnaire.not_found"
        )
        listed = await ok(
            await client.get(
                "/api/v1/questionnaires",
                params={"org_unit_id": world.unit("g1").id},
                headers=world["admin"],
            )
        )
        assert [q["id"] for q in listed["items"]] == [made["id"]]
        own = await ok(await client.get("/api/v1/questionnaires", headers=world["admin"]))
        assert own["items"] == []  # none kept in c1 itself


class TestEvaluate:
    async def test_households_answer_once_and_scores_match_the_hand_count(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        company = await company_serving(client, world)
        q = await questionnaire(client, world)
        made = await evaluation(client, world, q["id"], company["id"])
        assert made["contract_id"] is not None and made["eligible_households"] == 3
        eid = made["id"]
        await created(await answer(client, world, eid, "resident", 5, 4, 3))
        assert_problem(
            await answer(client, world, eid, "housemate", 1, 1, 1),
            409,
            "evaluation.already_answered",
        )
        await created(await answer(client, world, eid, "neighbour", 5, 5, 4))
        await created(await answer(client, world, eid, "member", 4, 3, 2))
        assert_problem(
            await answer(client, world, eid, "member2", 5, 5, 5), 422, "governance.no_household"
        )
        assert_problem(
            await answer(client, world, eid, "far_resident", 5, 5, 5), 404, "evaluation.not_found"
        )
        partial = await client.post(
            f"/api/v1/evaluations/{eid}/responses",
            json={"answers": {"cleaning": 5}},
            headers=world["neighbour"],
        )
        assert_problem(partial, 422, "evaluation.answers_mismatch")
        read = await ok(await client.get(f"/api/v1/evaluations/{eid}", headers=world["resident"]))
        scores = read["scores"]
        assert scores["responses"] == 3
        assert [(i["code"], i["total"], i["mean"], i["score"]) for i in scores["items"]] == [
            ("cleaning", 14, "4.67", "93.33"),
            ("security", 12, "4.00", "80.00"),
            ("repair", 9, "3.00", "60.00"),
        ]
        assert scores["overall"] == "79.33"
        closed = await close(client, world, eid)
        assert closed["status"] == "closed"
        assert_problem(
            await answer(client, world, eid, "member", 5, 5, 5), 409, "evaluation.closed"
        )

    async def test_rules_of_creation(self, client: httpx.AsyncClient, world: World) -> None:
        company = await company_serving(client, world)
        committee_q = await questionnaire(client, world, "owners_committee")
        now = datetime.now(UTC)
        body = {
            "org_unit_id": world.unit("g1").id,
            "questionnaire_id": committee_q["id"],
            "body_id": company["id"],
            "period": "2026Q4",
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=1)).isoformat(),
        }
        response = await client.post("/api/v1/evaluations", json=body, headers=world["admin"])
        assert_problem(response, 422, "evaluation.questionnaire_mismatch")
        q = await questionnaire(client, world)
        await evaluation(client, world, q["id"], company["id"])
        again = await client.post(
            "/api/v1/evaluations",
            json=body | {"questionnaire_id": q["id"]},
            headers=world["admin"],
        )
        assert_problem(again, 409, "evaluation.period_taken")
        sibling = await client.post(
            "/api/v1/evaluations", json=body | {"period": "2027"}, headers=world["sibling"]
        )
        assert_problem(sibling, 404, "governance.unit_not_found")
        assert_problem(
            await client.post("/api/v1/evaluations", json=body), 401, "auth.unauthenticated"
        )
        bad_period = await client.post(
            "/api/v1/evaluations", json=body | {"period": "2026Q5"}, headers=world["admin"]
        )
        assert bad_period.status_code == 422


class TestRetender:
    async def test_a_low_score_opens_a_matter_once(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        company = await company_serving(client, world)
        q = await questionnaire(client, world)
        high = await evaluation(client, world, q["id"], company["id"], period="2026Q3")
        await created(await answer(client, world, high["id"], "resident", 5, 5, 5))
        url = f"/api/v1/evaluations/{high['id']}/retender"
        assert_problem(await client.post(url, headers=world["admin"]), 409, "evaluation.not_closed")
        await close(client, world, high["id"])
        assert_problem(
            await client.post(url, headers=world["admin"]), 409, "evaluation.score_not_low"
        )

        low = await evaluation(client, world, q["id"], company["id"], retender_below=80)
        await created(await answer(client, world, low["id"], "resident", 3, 4, 4))
        await close(client, world, low["id"])
        url = f"/api/v1/evaluations/{low['id']}/retender"
        opened = await ok(await client.post(url, headers=world["admin"]))
        matter = await ok(
            await client.get(
                f"/api/v1/matters/{opened['retender_matter_id']}", headers=world["resident"]
            )
        )
        assert matter["source_evaluation_id"] == low["id"]
        assert matter["title"] == "重新选聘物业服务企业（粤华物业）"
        assert_problem(
            await client.post(url, headers=world["admin"]), 409, "evaluation.retender_opened"
        )


class TestTrendsRankingsAndReport:
    async def test_trend_ranking_and_xlsx(
        self, client: httpx.AsyncClient, world: World, db: AsyncSession
    ) -> None:
        g3 = await make_unit(db, "grid", world.unit("c1"), name="帝景湾", grid_kind="compound")
        world.units["g3"] = g3
        far = await make_person(db, g3)
        far.address_room = "301"
        await db.flush()
        q = await questionnaire(client, world)
        company = await company_serving(client, world)
        other = await company_serving(client, world, "g3", "帝景物业")
        q3 = await evaluation(client, world, q["id"], company["id"], period="2026Q3")
        await created(await answer(client, world, q3["id"], "resident", 3, 3, 3))
        q4 = await evaluation(client, world, q["id"], company["id"])
        await created(await answer(client, world, q4["id"], "resident", 5, 4, 3))
        await evaluation(client, world, q["id"], other["id"], "g3")  # nobody answered

        trend = await ok(
            await client.get(
                f"/api/v1/compounds/{world.unit('g1').id}/evaluation-trend",
                headers=world["dispatcher"],
            )
        )
        assert [(p["period"], p["overall"]) for p in trend["points"]] == [
            ("2026Q3", "60.00"),
            ("2026Q4", "82.00"),  # (40 × 100 + 30 × 80 + 30 × 60) / 100
        ]
        ranking = await ok(
            await client.get(
                "/api/v1/evaluation-ranking",
                params={"unit_id": world.unit("town").id, "period": "2026Q4"},
                headers=world["auditor"],
            )
        )
        assert [(r["compound_name"], r["rank"], r["overall"]) for r in ranking["rows"]] == [
            ("红星一网格", 1, "82.00"),
            ("帝景湾", None, None),
        ]
        response = await client.get(
            f"/api/v1/evaluations/{q4['id']}/report.xlsx", headers=world["town_admin"]
        )
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        assert book.sheetnames == ["总览", "分项得分", "历期趋势", "排名"]
        items = book["分项得分"]
        assert [c.value for c in items[2]] == ["环境卫生", "cleaning", 40, 1, 5, 5.0, 100.0]
        assert len(items._charts) == 1 and len(book["历期趋势"]._charts) == 1
        assert book["排名"]["B3"].value == "红星一网格"
        assert_problem(
            await client.get(
                f"/api/v1/evaluations/{q4['id']}/report.xlsx", headers=world["sibling"]
            ),
            404,
            "evaluation.not_found",
        )

"""One row of every governance table that carries ancestor ids, for tests that prove
something of every scoped table (a subtree move)."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.governance.bodies.models import OfficeTerm, PartnerBody, PropertyContract
from app.governance.deliberation.models import Matter
from app.governance.evaluations.models import Evaluation, Questionnaire
from app.governance.meetings.models import Meeting
from app.governance.stations.models import DutyAssignment, DutyShift, HonourEntry, Station
from app.hierarchy.models import OrgUnit
from app.people.models import Person
from tests.support.factory import place_of


async def seed_governance_rows(db: AsyncSession, person: Person, grid: OrgUnit) -> None:
    """A body, contract, office, station with a shift, duty and honour, a meeting, a
    matter, a questionnaire and an evaluation, all in ``grid`` (a compound)."""
    at = place_of(grid)
    body = PartnerBody(kind="property_company", name=f"物业{grid.id}", org_unit_id=grid.id, **at)
    station = Station(kind="red_flag", name=f"驿站{grid.id}", org_unit_id=grid.id, **at)
    questionnaire = Questionnaire(
        org_unit_id=grid.id,
        target_kind="property_company",
        title="物业评议",
        items=[{"code": "cleaning", "text": "环境卫生", "weight": 1}],
        **at,
    )
    db.add_all([body, station, questionnaire])
    await db.flush()
    now = datetime.now(UTC)
    contract = PropertyContract(
        body_id=body.id,
        org_unit_id=grid.id,
        starts_on=date(2025, 1, 1),
        ends_on=date(2027, 12, 31),
        **at,
    )
    shift = DutyShift(
        station_id=station.id,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=3),
        capacity=2,
        taken=1,
        **at,
    )
    db.add_all(
        [
            contract,
            shift,
            OfficeTerm(
                office="station_master",
                person_id=person.id,
                seat_kind="station",
                seat_key=f"station:{station.id}",
                org_unit_id=grid.id,
                station_id=station.id,
                starts_on=date(2026, 1, 1),
                **at,
            ),
            HonourEntry(
                station_id=station.id,
                person_id=person.id,
                title="红旗好人",
                citation="热心调解",
                honoured_on=date(2026, 7, 1),
                **at,
            ),
            Meeting(
                kind="joint_property",
                title="联席会议",
                org_unit_id=grid.id,
                scheduled_at=now,
                status="planned",
                **at,
            ),
            Matter(
                title="充电棚",
                description="增设",
                org_unit_id=grid.id,
                status="proposed",
                proposer_kind="staff",
                **at,
            ),
        ]
    )
    await db.flush()
    db.add_all(
        [
            DutyAssignment(
                shift_id=shift.id,
                station_id=station.id,
                person_id=person.id,
                source="assigned",
                status="scheduled",
                **at,
            ),
            Evaluation(
                org_unit_id=grid.id,
                questionnaire_id=questionnaire.id,
                body_id=body.id,
                contract_id=contract.id,
                period="2026Q4",
                opens_at=now,
                closes_at=now + timedelta(days=30),
                status="open",
                eligible_households=1,
                **at,
            ),
        ]
    )
    await db.flush()

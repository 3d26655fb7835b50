"""Bodies and answers of resident onboarding. Nothing here shows an unverified account
anyone's personal data: the address picker gives names and ids of places only."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.kit.schemas import StrictModel
from app.kit.types import Id, Int, Line
from app.onboarding.models import RegistrationStatus

AppId = Field(min_length=1, max_length=64, description="The mini-program's appid")
PhoneCode = Field(
    min_length=1, max_length=128, description="From the getPhoneNumber button (手机号快速验证)"
)


class PhoneBind(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"app_id": "wx8a7b6c5d4e3f2a1b", "code": "e31968a7…"}]}
    )
    app_id: Line = AppId
    code: Line = PhoneCode


class Onboarding(BaseModel):
    """Where the caller's onboarding stands."""

    status: str = Field(description="`verified`, `pending`, `rejected` or `unmatched`")
    person_id: int | None = None
    household_id: int | None = None
    mobile: str | None = Field(default=None, description="Masked (138****5678)")
    registration_id: int | None = None
    reason: str | None = None


class AddressUnit(BaseModel):
    """A place in the address picker: id, name and level, nothing else."""

    id: int
    name: str
    level: str


class AddressList(BaseModel):
    items: list[AddressUnit]


class RegistrationCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "household_id": 120,
                    "name": "张三",
                    "app_id": "wx8a7b6c5d4e3f2a1b",
                    "phone_code": "e31968a7…",
                }
            ]
        }
    )
    household_id: Id = Field(description="A building or household picked in the address picker")
    name: Line = Field(min_length=1, max_length=50)
    room: Line | None = Field(default=None, max_length=20)
    app_id: Line | None = Field(default=None, min_length=1, max_length=64)
    phone_code: Line | None = Field(
        default=None, min_length=1, max_length=128, description="Optional verified number"
    )


class RegistrationRead(BaseModel):
    """A pending (or decided) self-registration, as the grid worker sees it."""

    id: int
    status: RegistrationStatus
    user_id: int
    person_id: int
    person_name: str
    mobile: str | None = Field(description="Masked unless the caller holds `pii`")
    household_id: int
    household_name: str
    created_at: datetime
    decided_at: datetime | None
    reason: str | None


class RegistrationPage(BaseModel):
    items: list[RegistrationRead]
    next_cursor: str | None = None


class Rejection(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "查无此人"}]})
    reason: Line = Field(min_length=1, max_length=200)


class InvitationCreate(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"household_id": 120}]})
    household_id: Id
    valid_hours: Int = Field(default=72, ge=1, le=720)


class InvitationRead(BaseModel):
    id: int
    code: str = Field(description="8 characters, no look-alikes (0/O, 1/I)")
    household_id: int
    expires_at: datetime
    qr_payload: str = Field(description="What the printed QR code carries")


class InvitationRedeem(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "K7QX3MWD", "name": "张三"}]}
    )
    code: Line = Field(min_length=4, max_length=16)
    name: Line = Field(min_length=1, max_length=50)
    room: Line | None = Field(default=None, max_length=20)

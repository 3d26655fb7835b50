from fastapi import APIRouter

router = APIRouter(prefix="/audit-log", tags=["audit-log"])

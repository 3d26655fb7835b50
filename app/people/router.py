from fastapi import APIRouter

router = APIRouter(prefix="/people", tags=["people"])
members_router = APIRouter(prefix="/members", tags=["members"])

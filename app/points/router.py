from fastapi import APIRouter

router = APIRouter(prefix="/points", tags=["points"])
rewards_router = APIRouter(prefix="/rewards", tags=["rewards"])

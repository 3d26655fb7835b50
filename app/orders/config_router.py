from fastapi import APIRouter

router = APIRouter(tags=["order-config"])

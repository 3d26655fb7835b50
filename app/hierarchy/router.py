from fastapi import APIRouter

router = APIRouter(prefix="/org-units", tags=["org-units"])

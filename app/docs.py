"""Interactive API docs served with no internet: the assets come from the app.

Government intranets have no CDN access. Swagger UI's bundle comes from the
``fastapi-swagger`` wheel; ReDoc's standalone bundle is vendored under
``app/static/redoc`` (MIT, see its LICENSE there).
"""

from pathlib import Path

import fastapi_swagger
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

_SWAGGER_ASSETS = Path(fastapi_swagger.__file__).parent / "resources"
_REDOC_ASSETS = Path(__file__).parent / "static" / "redoc"


def mount_docs(app: FastAPI) -> None:
    app.mount("/_docs/swagger", StaticFiles(directory=_SWAGGER_ASSETS), name="swagger-assets")
    app.mount("/_docs/redoc", StaticFiles(directory=_REDOC_ASSETS), name="redoc-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    oauth2_redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            oauth2_redirect_url=oauth2_redirect,
            swagger_js_url="/_docs/swagger/swagger-ui-bundle.js",
            swagger_css_url="/_docs/swagger/swagger-ui.css",
            swagger_favicon_url="/_docs/swagger/favicon-32x32.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(oauth2_redirect, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            redoc_js_url="/_docs/redoc/redoc.standalone.js",
            redoc_favicon_url="/_docs/swagger/favicon-32x32.png",
            with_google_fonts=False,
        )

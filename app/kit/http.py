"""HTTP pieces every router shares: the If-Match header and the ETag it answers."""

from typing import Annotated, Any

from fastapi import Header, Response

from app.kit.etag import etag_for

IfMatch = Annotated[
    str | None, Header(description='The ETag of the version being changed, e.g. W/"3"')
]
ETAG_HEADER: dict[str, Any] = {
    "ETag": {"description": 'Version of the resource, e.g. W/"1"', "schema": {"type": "string"}}
}


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)

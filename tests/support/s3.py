"""A real S3 HTTP server on loopback for the object-storage tests: moto's server
(``ThreadedMotoServer``, the S3 REST API over HTTP, in a thread), reached through
boto3 exactly as a deployment reaches AWS S3 or MinIO.

It listens on the first free port of ``PORTS`` (this project's test range on the
shared machine), so parallel test workers each get their own."""

import socket
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

PORTS = range(18200, 18300)
ACCESS_KEY_ID = "test-access-key"
SECRET_ACCESS_KEY = "test-secret-key"
REGION = "us-east-1"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


@dataclass
class S3Server:
    port: int = field(default_factory=_free_port)
    server: ThreadedMotoServer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "S3Server":
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def settings(self, bucket: str, prefix: str = "") -> dict[str, object]:
        """The ``REDGRID_S3_*`` settings that point the app at this server."""
        return {
            "file_storage": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": REGION,
            "s3_access_key_id": ACCESS_KEY_ID,
            "s3_secret_access_key": SECRET_ACCESS_KEY,
            "s3_prefix": prefix,
        }

"""A webhook receiver for the delivery-lag benchmark, in a process of its own (as a
subscriber's server is): answers 200 at once and writes ``<webhook-id> <wall time>``
for each request to the file it is given, a line per request.

    python -m bench.receiver PORT FILE
"""

import sys
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def main() -> None:
    port, path = int(sys.argv[1]), sys.argv[2]
    out = open(path, "a", buffering=1)  # noqa: SIM115  (open for the life of the process)

    async def hook(request: Request) -> Response:
        await request.body()
        out.write(f"{request.headers.get('webhook-id')} {time.time()}\n")
        return Response("ok")

    app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

"""Where file bytes live: on disk under the data folder (``REDGRID_DATA_DIR``/files).
Keys are random, never derived from a client's file name. Writes go to a temporary
file and are renamed into place, so a reader never sees half a file."""

import os
import secrets
from pathlib import Path


class DiskStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def new_key(self, extension: str) -> str:
        token = secrets.token_hex(16)
        return f"{token[:2]}/{token[2:4]}/{token}.{extension}"

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(target.suffix + ".part")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        return self.path(key).read_bytes()

"""Which Content-Type goes with which file.

A browser trusts this header, not the file name. We keep our own table rather than the `mimetypes`
module because that one reads the operating system's registry, which differs between machines.
"""
import os
from pathlib import PurePath

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/vnd.microsoft.icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
    ".xml": "application/xml",
    ".wasm": "application/wasm",
}
DEFAULT_TYPE = "application/octet-stream"   # "some bytes": the browser offers to download them


def content_type(path: str | PurePath, table: dict[str, str] = MIME_TYPES) -> str:
    return table.get(os.path.splitext(path)[1].lower(), DEFAULT_TYPE)   # ".PNG" is a PNG too

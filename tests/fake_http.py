"""Local HTTP servers for tests: one answering GET requests with JSON (stands in for OSRM and Nominatim),
and a map tile server (FakeTiles)."""

import json
import re
import struct
import threading
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serve_on_a_free_port(handler):
    """Serve `handler` (a BaseHTTPRequestHandler class) on a free localhost port in a thread; yield its base URL,
    and stop it however the block ends. Every fake provider here runs through this."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def json_server(answer):
    """Serve `answer(path) -> (status, body)` on a free localhost port; yield the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    with serve_on_a_free_port(Handler) as url:
        yield url


TILE = re.compile(r"^/(?P<source>\w+)/(?P<z>\d+)/(?P<x>\d+)/(?P<y>\d+)\.png$")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png(size=256, padding=0):
    """A plain light tile with a darker edge (the tiles' seams show on the screenshots); `padding` bytes of
    text in a tEXt chunk make it that much larger, the image the same."""
    rows = []
    for y in range(size):
        edge = y in (0, size - 1)
        rows.append(b"\x00" + bytes([200 if edge or x in (0, size - 1) else 236 for x in range(size)]))
    chunk = _chunk

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + (chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b"")
        + chunk(b"IEND", b"")
    )


class FakeTiles:
    """A tile server: a PNG for /<source>/<z>/<x>/<y>.png, each request recorded; `down` answers 503.
    With `cors` its tiles may be read by the app's origin (the service worker keeps them at their size).
    `padding(z, x, y)` -> bytes added to that tile (tiles of different sizes); `sizes` has each tile's size."""

    def __init__(self, cors=False, padding=None):
        self.seen = []  # (source, z, x, y) in the order asked
        self.sizes = {}  # (source, z, x, y) -> bytes of the tile answered
        self.refused = 0
        self.down = False
        plain = _png()
        padded = {}
        fake = self

        def body_of(z, x, y):
            extra = padding(z, x, y) if padding else 0
            if extra not in padded:
                padded[extra] = _png(padding=extra) if extra else plain
            return padded[extra]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                match = TILE.match(self.path)
                if fake.down or not match:
                    fake.refused += 1
                    self.send_response(503 if fake.down else 404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                tile = (match["source"], int(match["z"]), int(match["x"]), int(match["y"]))
                body = body_of(*tile[1:])
                fake.seen.append(tile)
                fake.sizes[tile] = len(body)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                # Not kept by the browser's own cache: a tile drawn without the network came from the service worker.
                self.send_header("Cache-Control", "no-store")
                if cors:
                    self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

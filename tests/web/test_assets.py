"""Pages load one hashed, pre-compressed bundle each, cached for a year (plain HTTP)."""

from __future__ import annotations

import gzip
import re
import subprocess

import aiohttp

from imr_live.edges.pages import DIST
from tests.live.harness import Server

BUNDLE = re.compile(r'src="/static/dist/(join-[A-Z0-9]+\.js)"')
STYLE = re.compile(r'href="/static/dist/(imr-[A-Z0-9]+\.css)"')


def brotli_decoded(body: bytes) -> bytes:
    """Brotli decoded by node's zlib (node builds the bundles, so it is always here)."""
    script = (
        "process.stdout.write(require('zlib').brotliDecompressSync(require('fs').readFileSync(0)))"
    )
    return subprocess.run(
        ["node", "-e", script], input=body, capture_output=True, check=True
    ).stdout


async def join_page(server: Server) -> str:
    staff = await server.staff("dana")
    session = await staff.create_session()
    token = await staff.invite(session["id"])
    async with aiohttp.ClientSession(base_url=server.url) as http:
        return await (await http.get(f"/join/{token}")).text()


async def test_join_page_loads_one_hashed_bundle_and_one_style_sheet(server: Server) -> None:
    html = await join_page(server)
    assert len(re.findall(r"<script", html)) == 1, html
    assert BUNDLE.search(html), html
    assert STYLE.search(html), html
    assert "/static/js/" not in html


async def test_bundle_is_sent_pre_compressed_as_the_browser_accepts(server: Server) -> None:
    html = await join_page(server)
    match = BUNDLE.search(html)
    assert match
    url = f"/static/dist/{match.group(1)}"
    async with aiohttp.ClientSession(base_url=server.url, auto_decompress=False) as http:
        plain = await http.get(url, headers={"Accept-Encoding": "identity"})
        source = await plain.read()
        gz = await http.get(url, headers={"Accept-Encoding": "gzip, deflate"})
        gz_body = await gz.read()
        br = await http.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        br_body = await br.read()
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert b"/static/vendor/" not in source and b"./dom.js" not in source  # self-contained
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz_body) == source
    assert br.headers["Content-Encoding"] == "br"
    assert brotli_decoded(br_body) == source
    assert len(br_body) < len(gz_body) < len(source) / 2
    for resp in (plain, gz, br):
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert resp.headers["Vary"] == "Accept-Encoding"


async def test_only_built_bundles_are_served_from_dist(server: Server) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:
        for name in ("manifest.json", "join.js", "..%2Fjs%2Fjoin.js", "nothing-ABC.js"):
            resp = await http.get(f"/static/dist/{name}")
            assert resp.status == 404, name
    assert (DIST / "manifest.json").is_file()

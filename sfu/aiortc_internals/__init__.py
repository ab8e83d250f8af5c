"""Every touch of aiortc and aioice internals, one module per object touched.

The SFU forwards RTP packets without decoding them, which aiortc's public API
does not offer. The hooks here are tied to aiortc 1.16 and aioice 0.13 (both
pinned in pyproject); `tests/sfu/test_aiortc_internals.py` fails loudly if
one moves, and `tests/sfu/test_private_access.py` fails if code outside this
package reaches into aiortc or aioice.
"""

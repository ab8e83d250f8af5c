"""The native fan-out is built by ``make setup`` (gcc and libsrtp2-dev come from system-deps).

Outside the skipped module on purpose: without the extension every "native" test
id would quietly be missing and the SFU would run its slower Python path.
"""

from __future__ import annotations

from sfu import native


def test_the_extension_is_built_for_this_checkout() -> None:
    assert native.AVAILABLE

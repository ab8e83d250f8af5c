"""Tracebacks a client can trigger are bounded: one per kind per minute."""

from __future__ import annotations

import logging

from imr_live.log_limits import RepeatedTracebacks


def raise_and_log(logger: logging.Logger, exc: Exception) -> None:
    try:
        raise exc
    except Exception:
        logger.exception("handler failed")


def test_a_repeated_traceback_is_written_once_per_window_and_counted() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    now = [1000.0]
    limit = RepeatedTracebacks(window_s=60, clock=lambda: now[0])
    handler.addFilter(limit)
    logger = logging.getLogger("tests.log_limits")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        for _ in range(200):
            raise_and_log(logger, ValueError("bad frame"))
        raise_and_log(logger, KeyError("other kind"))
        logger.info("plain lines are never held back")
        logger.info("plain lines are never held back")
        assert [r.getMessage() for r in records] == [
            "handler failed",
            "handler failed",
            "plain lines are never held back",
            "plain lines are never held back",
        ]
        now[0] += 61
        raise_and_log(logger, ValueError("bad frame"))
        assert records[-1].getMessage() == (
            "handler failed (199 more like it held back in the last minute)"
        )
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_the_command_line_installs_the_limit() -> None:
    from imr_live import log_limits

    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        limit = log_limits.install()
        assert limit in handler.filters
    finally:
        root.removeHandler(handler)

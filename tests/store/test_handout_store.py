"""Handout pages round-trip byte for byte on SQLite and PostgreSQL; "shown" is kept once."""

from __future__ import annotations

from typing import Any

from imr_live.domain.handout_pages import PageImage
from imr_live.domain.handouts import Handouts


async def test_pages_come_back_as_stored_and_shown_lists_them(db: Any) -> None:
    store = Handouts(db)
    pages = [PageImage(bytes(range(256)) * 40, 10, 20), PageImage(b"\x00\x89PNG", 1, 1)]
    h = await store.add("s_1", "Coping", pages, "a_1")
    await store.add("s_1", "Other", pages[:1], "a_1")
    assert await store.page(h, 1) == pages[0].png and await store.page(h, 2) == pages[1].png
    assert await store.shown_in(["s_1", "s_2"]) == []
    await store.mark_shown(h.id)
    first = (await store.get(h.id)).first_shown_at
    await store.mark_shown(h.id)
    assert (await store.get(h.id)).first_shown_at == first  # the first time stays
    assert [x.id for x in await store.shown_in(["s_1"])] == [h.id]
    assert sorted(x.title for x in await store.for_session("s_1")) == ["Coping", "Other"]

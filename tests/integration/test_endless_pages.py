"""A provider whose next-page link never ends (or repeats) must not hang the poll."""

from __future__ import annotations

import pytest

from desktop.adapters.phone.base import ProblemKind, ProviderError
from desktop.adapters.phone.openphone import OpenPhoneLine


def test_openphone_stops_when_the_server_repeats_a_page():
    line = OpenPhoneLine(api_key="op-key-1234", base_url="http://127.0.0.1:9")
    asked = []

    def same_page_forever(path, params=None, **kwargs):
        asked.append(params.get("pageToken"))
        return {"data": [{"id": "x"}], "nextPageToken": "again"}

    line.http.get_json = same_page_forever
    with pytest.raises(ProviderError) as caught:
        list(line._walk("/v1/conversations", {}))
    assert caught.value.kind == ProblemKind.BAD_RESPONSE and "repeated" in str(caught.value)
    assert asked == [None, "again"]

"""A Voila page's address parameters, without importing anything heavy (participant kernels use it)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs


def query_params(query: str | None = None) -> dict[str, str]:
    """The page's query parameters (Voila puts them in ``QUERY_STRING``), each value at most 200 characters."""
    raw = os.environ.get("QUERY_STRING", "") if query is None else query
    parsed = parse_qs(raw[:2000], keep_blank_values=False)
    return {k: v[0][:200] for k, v in parsed.items() if v}

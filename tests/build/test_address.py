"""The address participants really use, in the guide and the banner (never the loopback address)."""

from __future__ import annotations

from samverkan.build import address


def test_a_loopback_server_becomes_the_machine_s_network_address(monkeypatch):
    monkeypatch.delenv("SAMVERKAN_PUBLIC_URL", raising=False)
    monkeypatch.setattr(address, "lan_address", lambda: "192.168.1.20")
    for server in ("http://127.0.0.1:8866", "http://localhost:8866/", "0.0.0.0:8866"):
        assert address.participant_url(server) == ("http://192.168.1.20:8866/", "den här datorns adress i nätverket")
    assert address.participant_url("https://verkstad.region.se") == ("https://verkstad.region.se/", "planen")


def test_no_network_says_so_and_a_proxy_wins(monkeypatch):
    monkeypatch.delenv("SAMVERKAN_PUBLIC_URL", raising=False)
    monkeypatch.setattr(address, "lan_address", lambda: "127.0.0.1")
    assert address.participant_url("http://127.0.0.1:8866")[1] == "datorn har inget nätverk just nu"
    monkeypatch.setenv("SAMVERKAN_PUBLIC_URL", "https://verkstad.kommun.se/")
    assert address.participant_url("http://127.0.0.1:8866") == ("https://verkstad.kommun.se/", "SAMVERKAN_PUBLIC_URL")


def test_the_guide_tells_participants_the_real_address(monkeypatch):
    from samverkan.build.guide import guide_html
    from samverkan.content.loader import load_plan

    from ..conftest import ROOT

    monkeypatch.delenv("SAMVERKAN_PUBLIC_URL", raising=False)
    monkeypatch.setattr(address, "lan_address", lambda: "10.0.4.17")
    plan, kit = load_plan(ROOT / "exercises" / "planer" / "namnd-halvdag.yaml")
    assert plan.server == "http://127.0.0.1:8866"  # the example plan names the loopback address ...
    html = guide_html(plan, kit, {})
    assert "Deltagarna går till <code>http://10.0.4.17:8866</code>" in html  # ... the guide the room's one
    assert "127.0.0.1:8866/delta" not in html
    assert "/handledare/storbild" in html and "Pass från en plan" in html

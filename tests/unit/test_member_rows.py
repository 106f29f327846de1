"""The network page's member rows are built in Python (issue 20): every value is escaped, as Jinja's
autoescape would, and the contacts read as the template wrote them."""

from __future__ import annotations

from verbund.dashboard.web import member_rows


def test_every_value_of_a_member_row_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    members = [{"name": f"Schule {evil}", "kind_label": f"Art {evil}", "role": "member",
                "contacts": [{"name": f"Frau {evil}", "function": f"Leitung {evil}", "channels": 0},
                             {"name": "Herr B", "function": None, "channels": 2}]}]
    html = str(member_rows(members, "sachsen-inklusion"))
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 4
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    assert f'Leitung {escaped}) <span class="muted">ohne Kanal</span>, Herr B</td>' in html
    assert html.startswith("<tr><td>Schule &lt;script&gt;")


def test_no_members_no_rows() -> None:
    assert str(member_rows([], "sachsen-inklusion")) == ""

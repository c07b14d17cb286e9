"""An AB post (AB岗, issue 18) end to end: a real server process on 127.0.0.1 and two desktop archives. While
c2 covers c1 (set with the server's command line for a short period), c2's next sync brings c1's customer and
after the period ends, by itself, c2's next sync drops it from c2's archive, c1 keeps it
with c2's change, and the cover shows its handover records."""

from __future__ import annotations

import datetime as dt
import time

from app.services import records
from app.services.demo import generate

CHINA = dt.timezone(dt.timedelta(hours=8))
PERIOD = 40.0  # seconds: long enough for the syncs in between on a loaded machine


def test_b_receives_as_customers_during_the_cover_and_loses_them_after_it(server, clients) -> None:
    c1 = clients("c1")
    (values,) = generate(1, seed=11)
    customer = records.save_draft(c1.session, values)[0].id
    c1.login(server)
    assert c1.sync().complete

    c2 = clients("c2")
    c2.login(server)
    assert c2.sync().complete
    assert records.get(c2.session, customer) is None  # c1's, not c2's

    now = time.time()
    ends = dt.datetime.fromtimestamp(now + PERIOD, CHINA).isoformat(timespec="seconds")
    starts = dt.datetime.fromtimestamp(now - 60, CHINA).isoformat(timespec="seconds")
    out = server.admin(
        "cover", "set", "--absent", "c1", "--cover", "c2", "--from", starts, "--to", ends, "--reason", "年休假"
    )
    assert "c1 → c2" in out.stdout and "active" in out.stdout

    assert c2.sync().complete
    got = records.get(c2.session, customer)
    assert got is not None and got.values["shop_name"] == values["shop_name"]
    assert time.time() < now + PERIOD, "the machine was too slow to sync within the period"

    time.sleep(max(0.0, now + PERIOD + 1 - time.time()))  # the period ends: nothing is run on the server
    assert c2.sync().complete
    gone = records.get(c2.session, customer)  # dropped, as after a reassignment: out of the lists, read-only
    assert gone is not None and gone.deleted and gone.sync_state == "revoked"
    assert c1.sync().complete
    assert records.get(c1.session, customer) is not None
    shown = server.admin("cover", "show", "1").stdout
    assert "handover start" in shown and "handover end" in shown and "1 customers, 1 open" in shown

"""The bureau's day is China's, on every computer (app.models.times.today): the client's dialogs and
validation agree with the server, which dates everything in China time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import datetime as dt, json
from app.models import times
from app.models.catalogue import FieldSpec, FieldType
from app.validation.validator import parse_field
china = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()
spec = FieldSpec(key="d", group="g", label_zh="日期", label_en="Date", type=FieldType.DATE, not_future=True)
value, issues = parse_field(spec, china.isoformat())  # the default day: the bureau's
print(json.dumps([times.today().isoformat(), china.isoformat(), dt.date.today().isoformat(),
                  value, [i.code for i in issues]]))
"""


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Shanghai"])
def test_today_is_chinas_date_whatever_the_computers_zone(zone: str) -> None:
    env = {**os.environ, "TZ": zone}
    for _ in range(2):  # a run across China's midnight reads two days: the second run does not
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
        today, china, _computer, value, codes = __import__("json").loads(out.stdout)
        if today == china:
            break
    assert today == china
    assert value == china and codes == []  # China's today is never "in the future" on the form

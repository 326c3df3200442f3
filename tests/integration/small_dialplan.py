"""A small dialplan built in code for the integration tests (tests/unit/conftest.py has its own)."""

from __future__ import annotations

import datetime as dt

from hotline.dialplan.model import (
    WEEKDAYS,
    Action,
    Dialplan,
    Entry,
    Hotline,
    Menu,
    Operator,
    Prompt,
    SkillGroup,
    TimeRange,
    WeeklyHours,
)


def gas_dialplan(**gas: int) -> Dialplan:
    """One group ("gas", ring_timeout 10 s unless changed) staffed by op1 and op2."""
    return Dialplan(
        hotline=Hotline(
            name="Тест",
            number="565602",
            timezone="Europe/Moscow",
            language="ru",
            languages=("ru",),
            capacity=10,
            general_group="gas",
            fallback_prompt="p",
        ),
        hours=WeeklyHours({day: (TimeRange(dt.time(9), dt.time(18)),) for day in WEEKDAYS}),
        prompts={"p": Prompt("p", {"ru": "p"})},
        skill_groups={"gas": SkillGroup(id="gas", title="Газ", ring_timeout=10, **gas)},  # type: ignore[arg-type]
        operators={
            "op1": Operator(id="op1", name="Анна", extension="101", skills={"gas": 1}),
            "op2": Operator(id="op2", name="Борис", extension="102", skills={"gas": 2}),
        },
        menus={
            "main": Menu(
                id="main",
                prompt="p",
                options={"1": Action("queue", "gas")},
                timeout=5,
                retries=3,
                repeat_key="*",
                invalid_prompt="p",
                timeout_prompt="p",
                on_failure=Action("queue", "gas"),
            )
        },
        entry=Entry(greeting="p", menu="main", closed=Action("hangup", "p", prompt="p")),
    )

"""Small typed dialplans built in code, for tests of pure logic that should not depend on the YAML."""

from __future__ import annotations

import datetime as dt

import pytest

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


def tiny_dialplan() -> Dialplan:
    """Two groups, two operators, one menu: the smallest hotline that exercises every renderer."""
    nine_to_six = (TimeRange(dt.time(9), dt.time(18)),)
    return Dialplan(
        hotline=Hotline(
            name="Тест; линия",
            number="565602",
            timezone="Europe/Moscow",
            language="ru",
            languages=("ru",),
            capacity=10,
            general_group="general",
            fallback_prompt="fallback",
        ),
        hours=WeeklyHours({day: nine_to_six for day in WEEKDAYS}),
        prompts={p: Prompt(p, {"ru": p}) for p in ("greeting", "main", "bad", "none", "closed", "fallback")},
        skill_groups={
            "general": SkillGroup(id="general", title="Общие вопросы"),
            "heating": SkillGroup(
                id="heating", title="Отопление", strategy="linear", ring_timeout=20, wrapup=10, max_wait=300
            ),
        },
        operators={
            "op1": Operator(
                id="op1", name='Анна "Ann" Иванова', extension="101", skills={"heating": 1, "general": 2}
            ),
            "op2": Operator(id="op2", name="Борис", extension="102", skills={"general": 1}),
        },
        menus={
            "main": Menu(
                id="main",
                prompt="main",
                options={"1": Action("queue", "heating"), "0": Action("queue", "general")},
                timeout=5,
                retries=3,
                repeat_key="*",
                invalid_prompt="bad",
                timeout_prompt="none",
                on_failure=Action("queue", "general"),
            )
        },
        entry=Entry(greeting="greeting", menu="main", closed=Action("hangup", "closed", prompt="closed")),
    )


@pytest.fixture
def tiny() -> Dialplan:
    return tiny_dialplan()

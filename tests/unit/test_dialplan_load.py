"""Loading dialplans: the default one, directories of files, the error format, and YAML's dangerous parts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from dialplan_edits import DEFAULT, FIXTURES, problems_of, variant, where

from hotline.dialplan import MAX_FILE_BYTES, dialplan_files, load_dialplan
from hotline.dialplan.model import Action, Span, TimeRange
from hotline.dialplan.strictyaml import MAX_DEPTH, Mapping, Refused, Scalar, Sequence, read_yaml
from hotline.errors import ConfigError, Problem


def place(p: Problem) -> tuple[str, int, int]:
    return p.file, p.line, p.column


# --- the default dialplan ------------------------------------------------------------------------------


def test_default_dialplan_loads_with_its_sections_as_typed_objects() -> None:
    """dialplans/hotline.yaml loads cleanly into the model, with values typed by their fields."""
    d = load_dialplan(DEFAULT)
    assert d.source_files == (str(DEFAULT),)
    assert d.hotline.number == "565602"
    assert d.hotline.timezone == "Europe/Moscow"
    assert (d.hotline.language, d.hotline.languages) == ("ru", ("ru", "en"))
    assert (d.hotline.capacity, d.hotline.general_group, d.hotline.fallback_prompt) == (
        100,
        "general",
        "fallback",
    )
    assert d.hours.days["mon"] == (TimeRange(dt.time(8), dt.time(20)),)
    assert d.hours.days["sat"] == (TimeRange(dt.time(9), dt.time(15)),)
    assert d.hours.days["sun"] == ()
    assert (d.entry.greeting, d.entry.menu, d.entry.transfer_prompt) == ("greeting", "main", "transfer")
    assert (d.entry.closed.kind, d.entry.closed.target, d.entry.closed.prompt) == (
        "callback",
        "general",
        "closed",
    )
    assert set(d.menus) == {"main", "heating", "construction"}
    assert set(d.skill_groups) == {
        "general",
        "heating",
        "water",
        "electricity",
        "gas",
        "management",
        "construction",
    }
    assert list(d.operators) == ["op101", "op102", "op103", "op104", "op105", "op106"]


def test_default_menus_take_menu_defaults_and_keep_their_options_in_order() -> None:
    """Every menu gets timeout, retries, repeat key, prompts and on_failure from menu_defaults."""
    d = load_dialplan(DEFAULT)
    main = d.menus["main"]
    assert main.prompt == "main_menu"
    assert {k: (a.kind, a.target) for k, a in main.options.items()} == {
        "1": ("menu", "heating"),
        "2": ("queue", "water"),
        "3": ("queue", "electricity"),
        "4": ("queue", "gas"),
        "5": ("queue", "management"),
        "6": ("menu", "construction"),
        "9": ("callback", "general"),
        "0": ("queue", "general"),
    }
    for menu in d.menus.values():
        assert (menu.timeout, menu.retries, menu.repeat_key) == (5, 3, "*")
        assert (menu.invalid_prompt, menu.timeout_prompt) == ("invalid_key", "no_input")
        assert (menu.on_failure.kind, menu.on_failure.target) == ("queue", "general")
    farewell = d.menus["construction"].options["3"]
    assert (farewell.kind, farewell.target, farewell.prompt) == (
        "hangup",
        "written_consultation",
        "written_consultation",
    )


def test_default_groups_operators_and_prompts_are_read_with_their_defaults() -> None:
    """Skill groups fill unset numbers with their defaults; operators and prompts keep every value as text."""
    d = load_dialplan(DEFAULT)
    gas, general = d.skill_groups["gas"], d.skill_groups["general"]
    assert (gas.title, gas.ring_timeout, gas.strategy, gas.wrapup, gas.max_wait) == (
        "Газоснабжение",
        20,
        "rrmemory",
        5,
        0,
    )
    assert (general.ring_timeout, d.skill_groups["management"].wrapup) == (15, 10)
    op = d.operators["op101"]
    assert (op.name, op.extension, op.skills) == (
        "Анна Иванова",
        "101",
        {"heating": 1, "water": 2, "general": 1},
    )
    assert d.prompts["greeting"].texts["en"] == "Hello! You have reached the housing and utilities hotline."
    assert d.prompts["main_menu"].texts["ru"].startswith("По вопросам отопления")
    assert [o.id for o in d.operators_of("gas")] == ["op103", "op104"]


def test_objects_carry_the_span_they_were_read_from() -> None:
    """Menus, prompts, groups, operators and actions know their file, line and column."""
    d = load_dialplan(DEFAULT)
    assert d.menus["heating"].span == Span(*where(DEFAULT, "\n  heating:\n    prompt", "heating"))
    assert d.prompts["transfer"].span == Span(*where(DEFAULT, "  transfer:\n    ru", "transfer"))
    assert d.skill_groups["gas"].span == Span(*where(DEFAULT, "  gas:\n    title", "gas"))
    assert d.operators["op103"].span == Span(*where(DEFAULT, "id: op103"))
    assert d.menus["main"].options["2"].span == Span(*where(DEFAULT, '"2": {queue: water}', "{"))


def test_a_dtmf_key_written_without_quotes_is_the_same_text_key(tmp_path: Path) -> None:
    """`1:` unquoted is the key "1", as text: it is not turned into the number 1."""
    path = variant(tmp_path, ('      "1": {menu: heating}\n      "2"', '      1: {menu: heating}\n      "2"'))
    assert load_dialplan(path).menus["main"].options["1"] == Action(
        "menu", "heating", span=Span(*where(path, "1: {menu: heating}", "{"))
    )


# --- directories ---------------------------------------------------------------------------------------


def split_sections(text: str) -> dict[str, str]:
    """The default dialplan cut into its top-level sections, each starting with its `name:` line."""
    sections: dict[str, str] = {}
    name = ""
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            name = line.split(":")[0]
        if name:
            sections[name] = sections.get(name, "") + line
    return sections


def write_split(directory: Path, layout: dict[str, tuple[str, ...]]) -> None:
    sections = split_sections(DEFAULT.read_text(encoding="utf-8"))
    directory.mkdir(exist_ok=True)
    for name, parts in layout.items():
        (directory / name).write_text("".join(sections[p] for p in parts), encoding="utf-8")


SPLIT = {
    "10-line.yaml": ("version", "hotline", "hours", "entry"),
    "20-menus.yml": ("menu_defaults", "menus", "callbacks"),
    "30-people.yaml": ("skill_groups", "operators"),
    "40-prompts.yaml": ("prompts",),
}


def test_a_directory_loads_its_yaml_files_as_one_dialplan(tmp_path: Path) -> None:
    """Sections may be spread over the .yaml and .yml files of a directory; other files are ignored."""
    write_split(tmp_path, SPLIT)
    (tmp_path / "README.md").write_text("not yaml: [", encoding="utf-8")
    (tmp_path / ".backup.yaml").write_text("not: [yaml", encoding="utf-8")
    d, default = load_dialplan(tmp_path), load_dialplan(DEFAULT)
    assert d.source_files == tuple(str(tmp_path / name) for name in sorted(SPLIT))
    assert (d.hotline, d.hours, d.callbacks) == (default.hotline, default.hours, default.callbacks)
    assert (set(d.menus), set(d.prompts), set(d.operators)) == (
        set(default.menus),
        set(default.prompts),
        set(default.operators),
    )
    assert d.menus["main"].span == Span(
        str(tmp_path / "20-menus.yml"), *where(tmp_path / "20-menus.yml", "  main:", "main")[1:]
    )


def test_a_section_in_two_files_is_a_duplicate_naming_both_places(tmp_path: Path) -> None:
    """`hours` in two files of a directory is refused at the second, naming the first."""
    write_split(tmp_path, {**SPLIT, "50-extra.yaml": ("hours",)})
    [p] = problems_of(tmp_path)
    first = tmp_path / "10-line.yaml"
    _, line, column = where(first, "\nhours:", "hours")
    assert place(p) == (str(tmp_path / "50-extra.yaml"), 1, 1)
    assert p.message == f"duplicate section 'hours' (also at {first}:{line}:{column})"
    assert p.hint == "define each section in one file only"


def test_a_directory_without_yaml_files_is_refused(tmp_path: Path) -> None:
    """An empty directory is a problem about the directory as a whole."""
    [p] = problems_of(tmp_path)
    assert (p.file, p.line, p.column, p.message) == (
        str(tmp_path),
        0,
        0,
        "no .yaml or .yml file in this directory",
    )


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    """A path that does not exist is one problem, not a traceback."""
    [p] = problems_of(tmp_path / "nope.yaml")
    assert (p.line, p.message) == (0, "no such file or directory")


def test_dialplan_files_lists_a_directory_sorted_by_name(tmp_path: Path) -> None:
    """The order of files is their names' order, whatever the file system says."""
    for name in ("b.yml", "a.yaml", "c.txt"):
        (tmp_path / name).write_text("version: 1\n", encoding="utf-8")
    assert dialplan_files(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yml"]


# --- the error message ---------------------------------------------------------------------------------


def test_the_error_lists_every_problem_as_file_line_column_message_and_hint(tmp_path: Path) -> None:
    """The error: a count, then one `file:line:column: message (hint)` line per problem, in file order."""
    path = variant(
        tmp_path,
        ("  name: Горячая линия ЖКХ", "  name: no"),
        ("  retries: 3 ", "  retries: 30 "),
        ('      "2": {queue: water}', '      "2": {queue: watr}'),
    )
    with pytest.raises(ConfigError) as info:
        load_dialplan(path)
    f, l1, c1 = where(path, "name: no", "no")
    _, l2, c2 = where(path, "retries: 30", "30")
    _, l3, c3 = where(path, "{queue: watr}", "watr")
    assert str(info.value) == (
        "3 problems in the configuration:\n"
        f"  {f}:{l1}:{c1}: hotline.name: ambiguous value 'no': YAML tools read it as a yes/no value,"
        ' not as text (quote it: "no")\n'
        f"  {f}:{l2}:{c2}: menu_defaults.retries: expected a whole number from 1 to 10, found '30'"
        " (write a whole number from 1 to 10)\n"
        f"  {f}:{l3}:{c3}: menus.main.options.2.queue: unknown skill group 'watr' (did you mean 'water'?)"
    )


# --- YAML's dangerous parts ----------------------------------------------------------------------------


def test_a_yaml_syntax_error_is_located_at_the_parser_mark(tmp_path: Path) -> None:
    """A line indented one space too far is a syntax error at that line and column."""
    path = variant(tmp_path, ('  tue: "08:00-20:00"', '   tue: "08:00-20:00"'))
    [p] = problems_of(path)
    assert place(p) == where(path, '   tue: "08:00-20:00"', "tue")
    assert p.message.startswith("YAML syntax error: ")
    assert "indentation" in p.hint


def test_a_syntax_error_stops_before_the_schema_checks(tmp_path: Path) -> None:
    """A half-read file does not add missing-section noise: the syntax error is the only problem."""
    path = variant(tmp_path, ("  name: Горячая линия ЖКХ", '  name: "Горячая линия'))
    [p] = problems_of(path)
    assert p.message.startswith("YAML syntax error")


@pytest.mark.parametrize(
    "tag", ["!!python/object:os.system", "!!python/object/apply:os.system", "!!str", "!custom"]
)
def test_an_explicit_tag_is_refused(tmp_path: Path, tag: str) -> None:
    """Tags (Python objects, YAML types, local tags) are refused at the tagged value."""
    path = variant(tmp_path, ("  name: Горячая линия ЖКХ", f"  name: {tag} x"))
    [p] = problems_of(path)
    assert place(p) == where(path, f"name: {tag}", tag)
    assert p.message == f"tag '{tag}' is not allowed"


def test_a_tag_on_a_mapping_is_refused_once(tmp_path: Path) -> None:
    """A tagged section is refused as a whole, without a cascade of problems inside it."""
    path = variant(tmp_path, ("hotline:\n", "hotline: !!map\n"))
    [p] = problems_of(path)
    assert (place(p), p.message) == (where(path, "hotline: !!map", "!!map"), "tag '!!map' is not allowed")


def test_an_anchor_and_its_alias_are_refused_at_the_anchor(tmp_path: Path) -> None:
    """`&name` is refused where it is defined; its aliases add nothing more."""
    path = variant(
        tmp_path,
        (
            "  heating:\n    title: Отопление и горячая вода",
            "  heating: &t\n    title: Отопление и горячая вода",
        ),
        ("  water:\n    title: Холодная вода и канализация", "  water: *t"),
    )
    [p] = problems_of(path)
    assert place(p) == where(path, "heating: &t", "&t")
    assert p.message == "anchor '&t' is not allowed"


def test_an_alias_to_an_unknown_anchor_is_refused(tmp_path: Path) -> None:
    """An alias whose anchor was never defined is refused where it is used."""
    path = variant(tmp_path, ("  water:\n    title: Холодная вода и канализация", "  water: *nothing"))
    [p] = problems_of(path)
    assert (place(p), p.message) == (where(path, "*nothing"), "alias '*nothing' is not allowed")


def test_the_billion_laughs_is_refused_without_expanding_any_alias() -> None:
    """Each anchor of the alias bomb is reported, and every alias stays one small refused node."""
    path = FIXTURES / "billion_laughs.yaml"
    problems = problems_of(path)
    anchors = [p for p in problems if p.message.startswith("anchor")]
    assert [(p.line, p.message) for p in anchors] == [
        (2 + n, f"anchor '&lol{n}' is not allowed") for n in range(1, 10)
    ]
    doc = read_yaml(path)
    assert isinstance(doc.root, Mapping)
    bomb = doc.root.get("bomb")
    assert isinstance(bomb, Sequence)
    assert len(bomb.items) == 10
    assert all(isinstance(item, Refused) for item in bomb.items)


def test_a_file_over_the_size_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10 MB file is refused by its size alone: the YAML parser never sees it."""
    path = tmp_path / "big.yaml"
    path.write_bytes(DEFAULT.read_bytes() + b"#" * (10 * 1024 * 1024))

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser must not run")

    monkeypatch.setattr(yaml, "parse", no_parsing)
    [p] = problems_of(path)
    assert place(p) == (str(path), 0, 0)
    assert (
        p.message
        == f"the file is {path.stat().st_size} bytes, more than the limit of {MAX_FILE_BYTES} bytes (256 KB)"
    )


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    """The limit is inclusive: a dialplan padded with a comment to exactly 256 KB loads."""
    data = DEFAULT.read_bytes()
    path = tmp_path / "padded.yaml"
    path.write_bytes(data + b"#" * (MAX_FILE_BYTES - len(data) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_dialplan(path).hotline.number == "565602"


# Reading is bounded: before, `[[[[...]]]]` of 8 KB took 5 s to refuse and of 100 KB about 5 minutes,
# with the reload lock held. The timeouts below only stop a hang; they are not a speed check.


@pytest.mark.timeout(20)
@pytest.mark.parametrize("size", [8_000, 100_000, MAX_FILE_BYTES])
def test_deeply_nested_flow_lists_are_refused_at_the_depth_limit(tmp_path: Path, size: int) -> None:
    """`[[[[...]]]]` filling the file is refused, naming the line (libyaml's scanner stops at its own
    limit of 1,000 levels before the depth check sees the 25th: the column is where it stopped)."""
    path = tmp_path / "nested.yaml"
    path.write_text("[" * (size // 2) + "]" * (size // 2), encoding="utf-8")
    [p] = problems_of(path)
    assert (p.file, p.line) == (str(path), 1)
    assert p.message == f"lists and mappings are nested more than {MAX_DEPTH} levels deep"


@pytest.mark.timeout(20)
def test_deeply_indented_mappings_are_refused_at_the_depth_limit(tmp_path: Path) -> None:
    """Block nesting (one more indent per line) is refused the same way, at the line that passes it."""
    path = tmp_path / "indented.yaml"
    path.write_text("".join(" " * i + "a:\n" for i in range(400)) + " " * 400 + "b: 1\n", encoding="utf-8")
    [p] = problems_of(path)
    assert p.line == MAX_DEPTH + 1
    assert p.message == f"lists and mappings are nested more than {MAX_DEPTH} levels deep"


def test_nesting_up_to_the_depth_limit_is_read(tmp_path: Path) -> None:
    """The limit leaves room: MAX_DEPTH levels of lists read, and the innermost value is there."""
    path = tmp_path / "deep.yaml"
    path.write_text("[" * MAX_DEPTH + "x" + "]" * MAX_DEPTH, encoding="utf-8")
    doc = read_yaml(path)
    assert doc.complete
    assert not doc.problems
    node = doc.root
    for _ in range(MAX_DEPTH - 1):
        assert isinstance(node, Sequence)
        node = node.items[0]
    assert isinstance(node, Sequence)
    [innermost] = node.items
    assert isinstance(innermost, Scalar)
    assert innermost.text == "x"


@pytest.mark.timeout(20)
@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_DEPTH - 1) + "a, " * (MAX_FILE_BYTES // 3 - MAX_DEPTH) + "]" * (MAX_DEPTH - 1),
        "".join(f"k{i}: v\n" for i in range(MAX_FILE_BYTES // 10)),
        "{" + ", ".join(f"k{i}: v" for i in range(MAX_FILE_BYTES // 12)) + "}",
    ],
    ids=["long-line-at-depth", "many-keys", "flow-mapping"],
)
def test_the_costliest_files_of_the_allowed_size_are_read_through(tmp_path: Path, text: str) -> None:
    """Shapes that cost the pure-Python scanner most (a long line inside many flow levels, many keys)
    are read to the end, nothing refused but the size would have been."""
    path = tmp_path / "big.yaml"
    path.write_text(text[:MAX_FILE_BYTES], encoding="utf-8")
    doc = read_yaml(path)
    assert doc.complete, doc.problems


def test_text_that_is_not_utf8_is_refused_at_the_first_bad_byte(tmp_path: Path) -> None:
    """A Windows-1251 name is not UTF-8: the problem points at the byte."""
    path = tmp_path / "cp1251.yaml"
    path.write_bytes(b"version: 1\nhotline:\n  name: " + "Линия".encode("cp1251") + b"\n")
    [p] = problems_of(path)
    assert place(p) == (str(path), 3, 9)
    assert p.message == "the file is not UTF-8 text (byte 0xcb)"
    assert p.hint == "save the file with the UTF-8 encoding"


def test_two_documents_in_one_file_are_refused(tmp_path: Path) -> None:
    """A second `---` document is refused where it starts."""
    path = variant(tmp_path, ("\nprompts:\n", "\n---\nprompts:\n"))
    [p] = problems_of(path)
    assert p.message == "more than one YAML document in one file (a second '---')"
    assert place(p) == where(path, "---\nprompts:")


def test_a_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    """The second `mon:` is refused and the message names the line and column of the first."""
    path = variant(tmp_path, ('  tue: "08:00-20:00"', '  tue: "08:00-20:00"\n  mon: "09:00-10:00"'))
    [p] = problems_of(path)
    _, line, column = where(path, '  mon: "08:00-20:00"', "mon")
    assert place(p) == where(path, '  mon: "09:00-10:00"', "mon")
    assert p.message == f"duplicate key 'mon' (first at line {line}, column {column})"


def test_quoted_and_unquoted_keys_are_the_same_key(tmp_path: Path) -> None:
    """`1:` and `"1":` in one menu are a duplicate: both are the text "1"."""
    path = variant(
        tmp_path,
        (
            '      "1": {menu: heating}\n      "2"',
            '      1: {menu: heating}\n      "1": {queue: gas}\n      "2"',
        ),
    )
    [p] = problems_of(path)
    assert place(p) == where(path, '"1": {queue: gas}')
    assert p.message.startswith("duplicate key '1' (first at line ")


def test_the_column_of_a_bad_byte_counts_characters_not_bytes(tmp_path: Path) -> None:
    """After Cyrillic letters (two bytes each in UTF-8) the column is still the character's position."""
    path = tmp_path / "mixed.yaml"
    path.write_bytes("version: 1\nhotline:\n  name: Линия ".encode() + "ЖКХ".encode("cp1251") + b"\n")
    [p] = problems_of(path)
    assert place(p) == (str(path), 3, 15)


def test_a_control_character_is_refused_where_it_is(tmp_path: Path) -> None:
    """YAML forbids a raw BEL character: the problem names it and points at it."""
    path = tmp_path / "bell.yaml"
    path.write_text("version: 1\nhotline:\n  name: a\x07b\n", encoding="utf-8")
    [p] = problems_of(path)
    assert (place(p), p.message) == ((str(path), 3, 10), "the character U+0007 is not allowed in a YAML file")


def test_an_empty_file_is_one_problem_not_a_list_of_missing_sections(tmp_path: Path) -> None:
    """A file with only comments says it is empty, once."""
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    [p] = problems_of(path)
    assert (place(p), p.message) == ((str(path), 0, 0), "no sections found: the dialplan is empty")


def test_a_file_that_is_a_list_is_refused_at_its_top_level(tmp_path: Path) -> None:
    """The top level of a dialplan file is sections, not a list."""
    path = tmp_path / "list.yaml"
    path.write_text("- version: 1\n", encoding="utf-8")
    problems = problems_of(path)
    assert (
        problems[0].message
        == "the top level of the file: expected a mapping (key: value lines), found a list"
    )

"""`entry.language_keys`: keys that switch a call to another language, read and checked.

    entry:
      greeting: greeting
      menu: main
      language_keys: {"7": en}     # "For English, press 7"

A key is read like a menu option's key (one of 0-9, * and #) and its language must be one of
`hotline.languages`. Once the menus are read, `language_key_problems` (called by `validate`) checks what
needs several sections: the key works during the greeting and in the first menu, so it must not be an
option or the repeat key there, and a caller who switched must hear every prompt in the new language, so
each prompt a caller can hear needs a text in it (only the operators' whisper prompts need not).
"""

from __future__ import annotations

from hotline.dialplan import prompt_ids as ids
from hotline.dialplan.draft import Draft, SectionReader
from hotline.dialplan.model import LanguageKey, Span
from hotline.dialplan.strictyaml import Node
from hotline.errors import Problem

# Heard by the operator, not by the caller: spoken in the hotline's language whatever the caller chose.
OPERATOR_PROMPTS = (ids.CB_WHISPER_INTRO, *ids.plural_prompts(ids.CB_WHISPER_ASKED))


def read_language_keys(r: SectionReader, node: Node, path: str) -> dict[str, LanguageKey] | None:
    """The mapping `"key": language`; None when any of it is wrong (each problem reported)."""
    if (m := r.f.mapping(node, path)) is None:
        return None
    keys: dict[str, LanguageKey] = {}
    for key_node, lang_node in m.entries:
        key = r.f.dtmf(key_node, path)
        lang = r.f.language(lang_node, f"{path}.{key_node.text}")
        if lang is not None and r.d.hotline is not None and lang not in r.d.hotline.languages:
            r.f.problem(
                lang_node.span,
                f"{path}.{key_node.text}: '{lang}' is not in hotline.languages",
                f"add {lang} to hotline.languages, or choose one of: {', '.join(r.d.hotline.languages)}",
            )
            lang = None
        if key is not None and lang is not None:
            keys[key] = LanguageKey(lang, key_node.span)
    return keys if len(keys) == len(m.entries) else None


def language_key_problems(d: Draft) -> list[Problem]:
    """A language key that is also a key of the first menu; a prompt a caller can hear without a text in
    a language the keys offer."""
    if d.entry is None or not d.entry.language_keys:
        return []
    problems: list[Problem] = []
    first = d.menus.get(d.entry.menu)
    for key, choice in d.entry.language_keys.items():
        span = choice.span or Span("", 0, 0)
        if first is not None and (key in first.options or key == first.repeat_key):
            what = "an option" if key in first.options else "the repeat_key"
            problems.append(
                Problem(
                    span.file,
                    span.line,
                    span.column,
                    f"entry.language_keys: key '{key}' is also {what} of the first menu '{first.id}'",
                    "the language key works during the greeting and in the first menu: choose a key "
                    "that menu does not use",
                )
            )
    for lang in sorted({choice.language for choice in d.entry.language_keys.values()}):
        missing = [
            prompt
            for prompt in d.prompts.values()
            if lang not in prompt.texts
            and prompt.id not in OPERATOR_PROMPTS
            and not prompt.id.startswith(ids.GROUP_PROMPT_PREFIX)
        ]
        for prompt in missing:
            span = prompt.span or Span("", 0, 0)
            problems.append(
                Problem(
                    span.file,
                    span.line,
                    span.column,
                    f"prompts.{prompt.id}: no text in '{lang}', which entry.language_keys offers to callers",
                    f"add a line '{lang}: ...' to this prompt",
                )
            )
    return problems

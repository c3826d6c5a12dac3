"""Does every mistake a trainer can make give a Swedish message with file, line and field?"""

from __future__ import annotations

import re
import shutil

import pytest

from samverkan.content import loader
from samverkan.content.schema import FreeText, Matching, Quiz, Scenario
from samverkan.errors import ContentError

from ..conftest import FIXTURES

BROKEN = FIXTURES / "broken"

# fixture file -> (line, field, words the message must contain)
CASES = {
    "yaml_syntax.yaml": (5, "", "kolon (:) saknas"),
    "missing_field.yaml": (7, "exercises[0].questions[0]", "fältet 'prompt' saknas"),
    "no_correct.yaml": (10, "exercises[0].questions[0].choices", "minst ett svar måste ha correct: true"),
    "two_correct_single.yaml": (10, "exercises[0].questions[0].choices", "exakt ett rätt svar, men 2"),
    "missing_step.yaml": (13, "exercises[0].steps[0].choices[0].next", "steget 's9', som inte finns"),
    "duplicate_id.yaml": (7, "exercises[1].id", "'samma-id' finns redan (rad 3)"),
    "unknown_audience.yaml": (7, "exercises[0].audience[1]", "okänd målgrupp 'politiker'"),
    "wrong_type.yaml": (
        12,
        "exercises[0].questions[0].choices[0].correct",
        "ska vara true eller false, men är en text",
    ),
    "unknown_field.yaml": (6, "exercises[0].promt", "Menade du 'prompt'?"),
    "unreachable_step.yaml": (14, "exercises[0].steps[1]", "'glomt' nås aldrig"),
    "loop.yaml": (17, "exercises[0].steps[1]", "går det inte att nå något slutsteg"),
    "duplicate_key.yaml": (7, "exercises[0].prompt", "'prompt' står två gånger"),
    "unknown_kind.yaml": (4, "exercises[0].kind", "Menade du 'scenario'?"),
    "bad_version.yaml": (1, "schema_version", "schema_version 7 stöds inte"),
    "not_utf8.yaml": (5, "", "inte sparad som UTF-8"),
    "wrong_category.yaml": (14, "exercises[0].items[0].category", "Menade du 'rostbarare'?"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_trainer_mistake_names_file_line_and_field(name):
    """Does the broken fixture give the expected message at the expected line and field?"""
    line, field, words = CASES[name]
    result = loader.load_file(BROKEN / name)
    matching = [p for p in result.problems if p.line == line and p.field == field and words in p.message]
    assert matching, f"expected line {line}, field {field!r}, '{words}'; got:\n" + "\n".join(map(str, result.problems))
    rendered = str(matching[0])
    assert rendered.startswith(f"{result.label}, rad {line}")
    assert "Traceback" not in rendered


def test_every_fixture_has_a_case():
    """Is every broken fixture file asserted on (no silent fixture)?"""
    assert {p.name for p in BROKEN.glob("*.yaml")} - {"unknown_source.yaml"} == set(CASES)


def test_unknown_source_is_reported_against_the_registry(kit_copy):
    """Does a citation of an unregistered source name the file and the field?"""
    target = kit_copy / "exercises" / "99-test" / "kalla.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(BROKEN / "unknown_source.yaml", target)
    kit = loader.load_kit(kit_copy)
    problems = [p for p in kit.problems if p.file.endswith("kalla.yaml")]
    assert [(p.line, p.field) for p in problems] == [(6, "exercises[0].prompt")]
    assert "källan 'prop-1999-99' finns inte i data/kallor.yaml" in problems[0].message


def test_one_broken_file_does_not_stop_the_others(kit_copy):
    """With a broken file in the kit, do all the other exercises still load?"""
    before = loader.load_kit(kit_copy)
    assert not before.problems, before.problems
    shutil.copy(BROKEN / "yaml_syntax.yaml", kit_copy / "exercises" / "03-principer" / "trasig.yaml")
    after = loader.load_kit(kit_copy)
    assert [p.file for p in after.problems] == ["exercises/03-principer/trasig.yaml"]
    assert set(after.exercises) == set(before.exercises)
    assert set(after.lessons) == set(before.lessons)


def test_duplicate_id_across_files_is_found(kit_copy):
    """Is an id reused in another file reported with both places?"""
    before = loader.load_kit(kit_copy)
    existing = next(e for e in before.exercises if before.exercise_folder[e] == "03-principer")
    (kit_copy / "exercises" / "03-principer" / "kopia.yaml").write_text(
        f"schema_version: 1\nexercises:\n  - id: {existing}\n    kind: free_text\n    title: Kopia\n    prompt: Hej?\n",
        encoding="utf-8",
    )
    kit = loader.load_kit(kit_copy)
    (copy,) = [p for p in kit.problems if p.file.endswith("kopia.yaml")]
    assert copy.line == 3 and f"id '{existing}'" in copy.message and "ovningar.yaml, rad" in copy.message
    (original,) = [p for p in kit.problems if p.file.endswith("ovningar.yaml")]
    assert f"id '{existing}'" in original.message and "kopia.yaml, rad 3" in original.message
    # Checking either file alone still shows the clash.
    only = loader.load_kit(kit_copy, [kit_copy / "exercises" / "03-principer" / "ovningar.yaml"])
    assert [p.file for p in only.problems] == ["exercises/03-principer/ovningar.yaml"]


def test_lesson_referring_to_missing_exercise(kit_copy):
    """Does a lesson that lists an exercise id that does not exist get a message?"""
    path = kit_copy / "exercises" / "03-principer" / "lektion.yaml"
    text = path.read_text(encoding="utf-8")
    first = loader.load_kit(kit_copy).lessons["03-principer"].sections
    eid = next(e for s in first for e in s.exercises)
    changed = re.sub(rf"(exercises:.*?)\b{re.escape(eid)}\b", r"\1finns-inte", text, count=1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    kit = loader.load_kit(kit_copy)
    assert any(
        "övningen 'finns-inte' finns inte" in p.message and p.file.endswith("lektion.yaml") for p in kit.problems
    )


def test_valid_file_gives_typed_records(tmp_path):
    """Does a valid file of each kind come back as frozen, typed records?"""
    f = tmp_path / "ok.yaml"
    f.write_text(
        """schema_version: 1
exercises:
  - id: q
    kind: quiz
    title: {standard: Quiz, lattlast: Lätt quiz}
    questions:
      - id: q-1
        kind: multiple_choice
        prompt: Välj två.
        audience: [fortroendevald]
        choices:
          - {text: A, correct: true, feedback: Ja.}
          - {text: B, correct: true}
          - {text: C}
  - id: m
    kind: matching
    title: M
    prompt: Para ihop.
    categories: [{id: a, label: A}, {id: b, label: B}]
    items: [{text: x, category: a}, {text: y, category: b}]
  - id: s
    kind: scenario
    title: S
    start: s1
    steps:
      - id: s1
        situation: Början.
        choices: [{text: Slut, consequence: Klart., next: e}]
      - {id: e, outcome: Slut., explanation: För att., rating: bra}
  - id: f
    kind: free_text
    title: F
    prompt: Skriv.
    max_length: 50
""",
        encoding="utf-8",
    )
    ef = loader.load_exercise_file(f)
    quiz, matching, scenario, free = ef.exercises
    assert isinstance(quiz, Quiz) and quiz.title.get("lattlast") == "Lätt quiz" and quiz.title.get("standard") == "Quiz"
    assert quiz.questions[0].correct_indices == {0, 1}
    assert quiz.questions[0].audience == {"fortroendevald"}
    assert isinstance(matching, Matching) and [i.id for i in matching.items] == ["m-1", "m-2"]
    assert isinstance(scenario, Scenario) and scenario.step("e").is_outcome
    assert isinstance(free, FreeText) and free.max_length == 50
    with pytest.raises(AttributeError):
        quiz.id = "annat"  # frozen


def test_load_exercise_file_raises_all_problems_at_once():
    """Does the raising loader report every problem of a file, not only the first?"""
    with pytest.raises(ContentError) as info:
        loader.load_exercise_file(BROKEN / "unknown_field.yaml")
    assert len(info.value.problems) == 2
    assert "rad 6" in str(info.value) and "rad 3" in str(info.value)


def test_an_id_of_the_wrong_type_is_a_problem_not_a_traceback(kit_copy):
    """Found by hypothesis in CI: ``id: []`` made the duplicate-id check raise TypeError (unhashable)."""
    from samverkan.content import loader

    (kit_copy / "data" / "kallor.yaml").write_text(
        "schema_version: 1\nsources:\n  - id: []\n  - id: {a: 1}\n", encoding="utf-8"
    )
    problems = [str(p) for p in loader.load_kit(kit_copy).problems if str(p).startswith("data/kallor.yaml")]
    assert any("sources[0].id" in p and "ska vara en text" in p for p in problems), problems
    assert any("sources[1].id" in p for p in problems), problems

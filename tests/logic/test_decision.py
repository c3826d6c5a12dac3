"""Samverkansformväljaren: the rules in data/, the case bank, thresholds by date, the CLI and the widget."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samverkan.content import loader
from samverkan.content import samverkansform as sf
from samverkan.errors import ContentError, ThresholdError
from samverkan.logic import decision
from samverkan.logic.checks import check_kit
from samverkan.widgets.samverkansform import SamverkansformWidget

ROOT = Path(__file__).resolve().parents[2]
MODEL, PERIODS, SOURCES, CASES = loader.load_decision(ROOT)

GRANT = {
    "initiative": "organisation",
    "authority_specifies_service": "no",
    "payment_against_performance": "no",
    "sanctions": "no",
    "organisation_profit": "no",
    "shared_ownership": "no",
}
PURCHASE = {
    "initiative": "authority",
    "authority_specifies_service": "yes",
    "payment_against_performance": "yes",
    "users_choose_provider": "no",
}


def decide(answers: dict, level: str = "standard") -> decision.Outcome:
    return decision.decide(answers, MODEL, PERIODS, SOURCES, level=level)


# -- the case bank -------------------------------------------------------------


def test_the_bank_has_at_least_25_cases_covering_every_form():
    assert len(CASES) >= 25
    assert {c.form for c in CASES.values()} >= {"bidrag", "iop", "upphandling", "lov", "oklart"}


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_every_bank_case_gives_its_expected_outcome(case_id):
    case = CASES[case_id]
    outcome, diffs = decision.case_result(case, MODEL, PERIODS, SOURCES)
    assert not diffs, f"{case_id}: {diffs}"
    assert outcome.references, "an outcome always names its legal references"
    assert outcome.disclaimer.startswith("Samverkansformväljaren är ett utbildningsstöd")


# -- the logic -----------------------------------------------------------------


def test_an_own_activity_without_counter_performance_is_a_grant_with_state_aid_and_kl_checks():
    out = decide(GRANT)
    assert out.form == "bidrag" and out.procedure is None
    assert any("motprestation" in r for r in out.reasons)
    assert any("statsstöd" in c.lower() for c in out.checks) and any("kommunallagen" in c.lower() for c in out.checks)


def test_the_alingsas_pattern_is_procurement_with_the_red_flag():
    out = decide(
        {
            **PURCHASE,
            "previously_procured_from_same_supplier": "yes",
            "idea_based": "yes",
            "bilaga2_service": "yes",
            "public_control": "no",
            "value_sek": 75_000_000,
            "date": "2025-06-01",
        }
    )
    assert out.form == "upphandling"
    assert out.procedure == "annonserad"
    assert "tidigare-upphandlad" in out.red_flags
    assert "19-25a" in out.reserved_options
    assert "hfd-2020-ref-15" in {r["id"] for r in out.references}


def test_no_answers_at_all_is_oklart_and_says_what_it_depends_on():
    out = decide({})
    assert out.form == "oklart"
    assert "payment_against_performance" in out.depends_on
    assert out.details["depends_on"][0]["question"]


def test_lov_is_a_choice_the_authority_makes_not_a_finding():
    """Users who could choose make LOV an alternative; only a decided valfrihetssystem makes it the form."""
    base = {
        **PURCHASE,
        "users_choose_provider": "yes",
        "idea_based": "yes",
        "public_control": "no",
        "region_primary_care": "no",
    }
    out = decide({**base, "valfrihetssystem": "yes"})
    assert (out.form, out.category, out.reserved_options, out.alternatives) == ("lov", "köp", ["lov-1-2a"], [])
    assert decide({**base, "valfrihetssystem": "no"}).form == "upphandling"
    open_ = decide({**base, "bilaga2_service": "yes", "value_sek": 1_000_000, "date": "2025-06-01"})
    assert (open_.form, open_.category, open_.alternatives) == ("upphandling", "köp", ["lov"])
    assert open_.procedure == "direktupphandling", "the procedure is computed although LOV is still open"
    assert "valfrihetssystem" in open_.depends_on
    assert "alternativet är valfrihetssystem enligt LOV" in open_.verdict
    primary = decide({**base, "region_primary_care": "yes"})
    assert (primary.form, primary.reserved_options) == ("lov", []), "regions' primary care: LOV, no reservation"


def test_swedish_answers_and_yaml_booleans_are_understood():
    assert decide({**GRANT, "sanctions": "nej"}).form == "bidrag"
    assert decide({**GRANT, "sanctions": False}).form == "bidrag"
    open_ = decide({**GRANT, "sanctions": "vet inte"})
    assert (open_.form, open_.conditions) == ("bidrag", ["om avtalet inte har sanktioner"])
    assert decide({**GRANT, "sanctions": "ja"}).form == "oklart", "the condition fails: no form fits"


# -- the two levels and the three examples of issue 16 ---------------------------------

# The original questions answered as an officer would; the later ones left as "vet inte".
ORIGINAL_PURCHASE = {
    "initiative": "authority",
    "authority_specifies_service": "yes",
    "payment_against_performance": "yes",
    "sanctions": "yes",
    "competing_suppliers": "yes",
    "organisation_contributes": "no",
    "organisation_profit": "no",
    "idea_based": "yes",
    "bilaga2_service": "no",
    "long_term": "yes",
    "previously_procured_from_same_supplier": "no",
    "value_sek": 1_200_000,
    "date": "2027-01-01",
}
OWN_ACTIVITY = {
    "initiative": "organisation",
    "authority_specifies_service": "no",
    "payment_against_performance": "no",
    "sanctions": "no",
    "competing_suppliers": "no",
    "organisation_contributes": "yes",
    "organisation_profit": "no",
    "idea_based": "yes",
    "users_choose_provider": "no",
    "long_term": "yes",
    "previously_procured_from_same_supplier": "no",
}


def test_a_specified_paid_sanctioned_service_is_lou_procurement_with_its_procedure():
    out = decide({**ORIGINAL_PURCHASE, "users_choose_provider": "vet inte"})
    assert (out.form, out.category, out.procedure) == ("upphandling", "köp", "annonserad")
    assert out.alternatives == ["lov"] and out.verdict.startswith("Köp: upphandling enligt LOU")
    definite = decide({**ORIGINAL_PURCHASE, "users_choose_provider": "no"})
    assert (definite.form, definite.conditions, definite.alternatives, definite.possible_forms) == (
        "upphandling",
        [],
        [],
        [],
    )
    assert definite.verdict == "Köp: upphandling enligt LOU."


def test_a_single_possible_form_is_the_verdict_with_its_condition():
    out = decide({**OWN_ACTIVITY, "initiative": "joint"})
    assert (out.form, out.category, out.alternatives) == ("iop", "stöd", [])
    assert out.conditions == ["om parterna äger och styr ett gemensamt mål"]
    assert out.verdict == (
        "Stöd, inte köp: idéburet offentligt partnerskap (IOP), om parterna äger och styr ett gemensamt mål."
    )
    assert decide({**OWN_ACTIVITY, "initiative": "joint", "shared_ownership": "yes"}).conditions == []


def test_a_clubs_own_long_running_activity_is_a_grant_with_iop_as_the_alternative():
    out = decide(OWN_ACTIVITY)
    assert (out.form, out.category, out.alternatives, out.depends_on) == (
        "bidrag",
        "stöd",
        ["iop"],
        ["shared_ownership"],
    )
    assert out.details["alternatives"][0]["conditions"] == ["om parterna äger och styr ett gemensamt mål"]


def test_the_first_level_is_given_when_the_form_is_open():
    out = decide({**OWN_ACTIVITY, "initiative": "joint", "long_term": "no", "shared_ownership": "no"})
    assert (out.form, out.category) == ("oklart", "stöd")
    assert out.verdict == "Stöd, inte köp, men formen går inte att avgöra."
    both = decide({"initiative": "organisation", "authority_specifies_service": "no"})
    assert (both.form, both.category) == ("oklart", "oklart")
    assert {"upphandling", "bidrag"} <= set(both.possible_forms)
    assert "payment_against_performance" in both.depends_on and both.verdict.startswith("Oklart – svaren pekar både")


def test_the_bilaga_2_question_names_the_range_of_bilaga_2_with_a_source():
    q = MODEL.question("bilaga2_service")
    for word in ("utbildning", "kultur", "idrott"):
        assert word in q.question.get("standard") and word in q.question.get("lattlast")
    help_ = q.help.get("standard")
    for word in (
        "hälso- och sjukvård",
        "personalutbildning",
        "kulturtjänster",
        "sporttjänster",
        "medlemsorganisationer",
    ):
        assert word in help_
    assert "[@uhm-reserverad-cpv]" in help_ and "[@uhm-reserverad-cpv]" in q.help.get("lattlast")
    assert "uhm-reserverad-cpv" in SOURCES, "a source the kit cites"


def test_a_summer_sports_camp_in_bilaga_2_uses_the_bilaga_2_limit():
    out = decide(
        {
            **ORIGINAL_PURCHASE,
            "users_choose_provider": "no",
            "bilaga2_service": "yes",
            "long_term": "no",
            "value_sek": 1_200_000,
            "date": "2025-10-15",
        }
    )
    assert (out.form, out.procedure, out.thresholds["category"]) == (
        "upphandling",
        "direktupphandling",
        "direktupphandling_bilaga2",
    )
    assert "19-25" in out.reserved_options
    assert "19-25a" in {r["id"] for r in out.details["reserved_possible"]}, (
        "public_control unknown: possible, not certain"
    )


KEYS = [q.key for q in MODEL.questions if q.kind in ("yesno", "choice")]


def _values(key: str) -> list[str]:
    return [o.value for o in MODEL.question(key).options if o.value != sf.UNKNOWN]


@st.composite
def partial_and_more(draw):
    """Answers with some questions left as "vet inte", and the same answers with some of those answered."""
    full = {k: draw(st.sampled_from(_values(k))) for k in KEYS}
    known = draw(st.sets(st.sampled_from(KEYS)))
    more = known | draw(st.sets(st.sampled_from(KEYS)))
    return {k: full[k] for k in known}, {k: full[k] for k in more}


@settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(partial_and_more())
def test_answering_a_vet_inte_never_turns_a_form_into_another(pair):
    """The guarantee of issue 16. A definite form stays, without new conditions or alternatives. A
    conditional verdict becomes its form, one of its alternatives, or oklart only when one of its
    conditions fails. A settled first level stays."""
    partial, more = decide(pair[0]), decide(pair[1])
    if partial.form != "oklart" and not partial.conditions and not partial.alternatives:
        assert (more.form, more.conditions, more.alternatives) == (partial.form, [], []), pair
        assert more.category == partial.category
    elif partial.form != "oklart":
        assert more.form in [partial.form, *partial.alternatives, "oklart"], pair
        if more.form == "oklart":
            assert partial.conditions, ("only a failed condition can leave no form", pair)
    assert set(more.possible_forms or [more.form]) - {"oklart"} <= set(partial.possible_forms or [partial.form]), pair
    settled = decision.category_rule(MODEL, sf.check_answers(pair[0], MODEL, "svaren")[0])
    if settled:
        assert more.category == settled == partial.category, pair


# -- thresholds by date ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, day, bilaga2, procedure",
    [
        (699_999, "2026-12-01", "no", "direktupphandling"),
        (700_000, "2026-12-01", "no", "annonserad"),
        (8_000_000, "2025-06-01", "yes", "direktupphandling"),
        (8_109_450, "2025-06-01", "yes", "annonserad"),
        (500_000, "2026-12-01", "yes", "direktupphandling"),  # under the ordinary limit: safe without the SEK table
        (2_000_000, "2026-12-01", "yes", "oklart"),  # the 2026–27 SEK threshold is not in the kit's table
        (2_000_000, "2026-12-01", "unknown", "oklart"),
        (300_000, "2026-12-01", "unknown", "direktupphandling"),
    ],
)
def test_procedure_follows_the_table_for_the_date(value, day, bilaga2, procedure):
    out = decide({**PURCHASE, "value_sek": value, "date": day, "bilaga2_service": bilaga2})
    assert out.form == "upphandling"
    assert out.procedure == procedure, out.procedure_text
    if procedure != "oklart":
        assert out.thresholds["period"] in out.procedure_text


def test_a_procurement_without_value_has_an_open_procedure():
    out = decide({**PURCHASE, "date": "2026-12-01"})
    assert out.procedure == "oklart" and "värdet" in out.procedure_text


@pytest.mark.parametrize("day", ["2021-05-01", "2028-01-01"])
def test_a_date_outside_the_table_is_refused_not_guessed(day):
    with pytest.raises(ThresholdError, match="täcker inte datumet"):
        decide({**PURCHASE, "value_sek": 100_000, "date": day})


# -- trainers edit the rules -------------------------------------------------------


def test_a_broken_rule_is_reported_with_file_and_line(kit_copy):
    path = kit_copy / "data" / "samverkansform.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("- users_choose_provider: yes", "- users_chose_provider: yes", 1),
        encoding="utf-8",
    )
    problems = loader.load_kit(kit_copy).problems
    assert any(
        p.file == "data/samverkansform.yaml"
        and p.line
        and "okänd fråga 'users_chose_provider'" in p.message
        and "users_choose_provider" in p.message
        for p in problems
    ), problems


def test_a_rule_change_that_breaks_a_bank_case_is_reported_by_check(kit_copy):
    path = kit_copy / "data" / "samverkansform.yaml"
    text = path.read_text(encoding="utf-8")
    # Drop "sanctions: no" from the grant rule: no case should notice…
    # …but turning the grant rule's initiative into 'authority' changes grant cases.
    path.write_text(
        text.replace(
            "          - initiative: organisation\n      text:", "          - initiative: authority\n      text:", 1
        ),
        encoding="utf-8",
    )
    problems = [p for p in check_kit(kit_copy).problems if "fall.yaml" in p.file]
    assert any("väntad form bidrag" in p.message for p in problems), problems


# -- answers files and the CLI ----------------------------------------------------


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "samverkan.cli", "samverkansform", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_cli_json_has_the_documented_fields(tmp_path):
    f = tmp_path / "svar.yaml"
    f.write_text(
        "initiative: authority\nauthority_specifies_service: yes\npayment_against_performance: yes\n"
        "users_choose_provider: no\nvalue_sek: 250000\ndate: 2026-12-01\n",
        encoding="utf-8",
    )
    res = run_cli(str(f), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert {
        "form",
        "procedure",
        "reserved_options",
        "red_flags",
        "reasons",
        "references",
        "depends_on",
        "possible_forms",
        "checks",
        "thresholds",
        "disclaimer",
        "category",
        "conditions",
        "alternatives",
    } <= set(data)
    assert (data["form"], data["procedure"], data["category"]) == ("upphandling", "direktupphandling", "köp")
    assert (data["conditions"], data["alternatives"]) == ([], [])


def test_cli_text_and_html(tmp_path):
    f = tmp_path / "svar.yaml"
    f.write_text("answers:\n  initiative: organisation\n  payment_against_performance: nej\n", encoding="utf-8")
    out = tmp_path / "sammanfattning.html"
    res = run_cli(str(f), "--html", str(out))
    assert res.returncode == 0, res.stderr
    # The verdict first, in one sentence; then the conditions it rests on.
    first, rest = res.stdout.split("\n", 1)
    assert first.startswith("Förslag: Stöd, inte köp: bidrag, om ") and first.endswith(".")
    assert "alternativet är idéburet offentligt partnerskap (IOP)" in first
    assert rest.lstrip().startswith("Förslaget förutsätter:\n  - om organisationen själv formar verksamheten")
    assert "Det beror på:" in res.stdout and "inte juridisk rådgivning" in res.stdout
    html = out.read_text(encoding="utf-8")
    assert html.lower().startswith("<!doctype html>") and '<html lang="sv">' in html
    verdict = html.index("Förslag: Stöd, inte köp: bidrag, om ")
    assert verdict < html.index("Förslaget förutsätter") < html.index("Det beror på")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("sanctions: kanske\n", "rad 1 (sanctions): 'kanske' är inget giltigt svar"),
        ("sanction: no\n", "rad 1 (sanction): okänd nyckel 'sanction'. Menade du 'sanctions'?"),
        ("value_sek: mycket\n", "(value_sek): ska vara ett belopp i kronor"),
        ("date: 1 december\n", "(date): ska vara ett datum som ÅÅÅÅ-MM-DD"),
        ("sanctions: [no\n", "svar.yaml, rad"),
        ("- bara en lista\n", "svaren ska vara en samling fält"),
    ],
)
def test_cli_names_file_and_key_for_a_broken_answers_file(tmp_path, content, expected):
    f = tmp_path / "svar.yaml"
    f.write_text(content, encoding="utf-8")
    res = run_cli(str(f))
    assert res.returncode == 2
    assert "svar.yaml" in res.stderr and expected in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_cli_missing_file_and_date_outside_table(tmp_path):
    res = run_cli(str(tmp_path / "finns-inte.yaml"))
    assert res.returncode == 2 and "filen finns inte" in res.stderr
    f = tmp_path / "svar.yaml"
    f.write_text(
        "initiative: authority\nauthority_specifies_service: yes\npayment_against_performance: yes\n"
        "users_choose_provider: no\nvalue_sek: 100\ndate: 2019-01-01\n",
        encoding="utf-8",
    )
    res = run_cli(str(f))
    assert res.returncode == 2 and "täcker inte datumet 2019-01-01" in res.stderr


# -- the widget ----------------------------------------------------------------------


def widget(**kw) -> SamverkansformWidget:
    return SamverkansformWidget(MODEL, PERIODS, sources=SOURCES, today=dt.date(2026, 12, 1), **kw)


def answer(w: SamverkansformWidget, label: str | None = None, text: str | None = None) -> None:
    if text is not None:
        w.entry.value = text
    else:
        w.choice.index = list(w.choice.options).index(label)
    w.next_button.click()


def test_widget_steps_forward_and_back_with_progress():
    w = widget()
    n = len(MODEL.questions)
    assert "Fråga 1 av" in w.progress_text.value and w.back_button.disabled
    answer(w, "Organisationen")
    assert "Fråga 2 av" in w.progress_text.value and w.progress_bar.value == 1
    w.back_button.click()
    assert w.choice.options[w.choice.index] == "Organisationen", "going back shows the earlier answer"
    w.next_button.click()
    w.next_button.click()  # nothing chosen on question 2
    assert "Välj ett svar" in w.status.value and "Fråga 2 av" in w.progress_text.value
    assert w.progress_bar.max == n


def test_widget_summary_for_a_grant_with_reasons_references_and_download():
    w = widget()
    events = []
    w.on_answer = events.append
    for q in MODEL.questions:
        if q.key in GRANT:
            label = q.option(GRANT[q.key]).label
            answer(w, label)
        elif q.kind in ("yesno", "choice"):
            answer(w, "Vet inte")
        elif q.kind == "number":
            answer(w, text="450 000")
        else:
            answer(w, text="2026-12-01")
    assert w.outcome is not None and w.outcome.form == "bidrag"
    assert w.outcome.category == "stöd" and w.outcome.conditions == []
    assert "Förslag: Stöd, inte köp: bidrag.</h4>" in w.summary.value and "Källor" in w.summary.value
    assert w.summary.value.index("Förslag:") < w.summary.value.index("Därför")
    assert "inte juridisk rådgivning" in w.summary.value
    assert w.download.value.count('href="data:text/html;charset=utf-8;base64,') == 1
    assert events and events[-1].value == "bidrag" and events[-1].extra["category"] == "stöd"
    doc = w.summary_document()
    assert "450 000 kr" in doc and "Vet inte" in doc


def test_widget_rejects_a_bad_amount_and_can_show_result_early():
    w = widget()
    for _ in range(len(MODEL.questions)):
        if MODEL.questions[w.index].key == "value_sek":
            break
        answer(w, "Vet inte")
    w.entry.value = "mycket pengar"
    w.next_button.click()
    assert "Skriv beloppet med siffror" in w.status.value
    w.entry.value = ""
    w.result_button.click()
    assert w.outcome.form == "oklart" and "Det beror på" in w.summary.value


def test_widget_in_lattlast_uses_easy_texts():
    w = widget(level="lattlast")
    assert "Vem kom på idén" in w.question.value


def test_load_reports_content_problems(kit_copy):
    (kit_copy / "data" / "troskelvarden.yaml").write_text("schema_version: 1\nthresholds: []\n", encoding="utf-8")
    with pytest.raises(ContentError, match="troskelvarden.yaml"):
        loader.load_decision(kit_copy)

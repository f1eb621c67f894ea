"""Pure rules: the tokeniser never lets a recognisable identifier through (hypothesis, adversarial shapes), tokens are
stable and reversible, and the gate's decisions follow only from the facts."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.agents.cost import Prices, Usage, cost_usd, parse_prices
from shared.domain.agents.pii_tokens import Vault, find_leaks
from shared.domain.agents.policy import GateFacts, decide, is_explicit_confirmation
from shared.domain.agents.tools import BY_NAME, InvalidToolInput, parse_input
from shared.domain.identity.references import account_identifiers

T = BY_NAME["customer"]
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
sep = st.sampled_from(["", " ", "-", "."])
filler = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Nd")), max_size=30)


@st.composite
def identifier(draw: st.DrawFn) -> str:
    account_id = draw(st.integers(min_value=1, max_value=10**8 - 1))
    ids = account_identifiers(account_id=account_id)
    phone = "".join(draw(st.lists(digits, min_size=10, max_size=10)))
    kind = draw(st.sampled_from(["account", "ref", "clabe", "phone", "email", "phone_sep", "plus52"]))
    if kind == "phone_sep":
        s = draw(sep)
        return f"{phone[:3]}{s}{phone[3:6]}{s}{phone[6:]}"
    if kind == "plus52":
        return f"+52 {phone}"
    if kind == "email":
        user = draw(st.from_regex(r"[a-z][a-z0-9._+]{0,10}", fullmatch=True))
        return f"{user}@{draw(st.sampled_from(['gmail.com', 'correo.mx', 'cea.gob.mx']))}"
    return {"account": ids["account_number"], "ref": ids["payment_reference"], "clabe": ids["clabe"], "phone": phone}[
        kind
    ]


@settings(max_examples=300, deadline=None)
@given(before=filler, value=identifier(), after=filler)
def test_identifiers_never_survive_tokenisation(before: str, value: str, after: str) -> None:
    vault = Vault()
    text = vault.tokenise(f"{before} {value} {after}")
    assert find_leaks(text=text, known_values=[value]) == []

    def norm(x: str) -> str:
        return "".join(ch for ch in x if ch not in " -.+")

    assert norm(value)[-9:] in norm(vault.detokenise(text))  # reversible (phones come back as their 10 digits)


def test_known_values_and_fields_are_tokenised_and_stable() -> None:
    vault = Vault()
    vault.learn(kind="NOMBRE", value="María Hernández Cruz")
    result = vault.tokenise_value({"first_name": "María", "street": "Calle Juárez", "note": "de maria hernandez cruz"})
    assert result["first_name"].startswith("[NOMBRE_") and result["street"].startswith("[DIRECCION_")
    assert "hernandez" not in result["note"].lower()
    assert vault.tokenise("María Hernández Cruz") == vault.tokenise("MARÍA HERNÁNDEZ CRUZ")
    assert vault.detokenise("Hola [NOMBRE_9]") == "Hola (dato no disponible)"


def test_amounts_and_dates_are_not_tokenised() -> None:
    vault = Vault()
    assert vault.tokenise("Total $1,234.50 vence 2026-11-15, 18 m³, saldo 10000000.0") == (
        "Total $1,234.50 vence 2026-11-15, 18 m³, saldo 10000000.0"
    )


FACTS = GateFacts(
    verified_person_id=7,
    target_account_id=70,
    target_owner_person_id=7,
    target_tariff_class="domestico",
    failed_verifications=0,
)


def test_gate_rules() -> None:
    assert decide(spec=T["get_balance"], facts=FACTS._replace(verified_person_id=None)).rule == "identity_required"
    assert decide(spec=T["get_balance"], facts=FACTS._replace(target_owner_person_id=8)).rule == "account_not_owned"
    assert decide(spec=T["get_balance"], facts=FACTS).allowed
    assert decide(spec=T["request_service_suspension"], facts=FACTS._replace(confirmed=True)).rule == (
        "art74_domestic_never_cut"
    )
    assert decide(
        spec=T["request_service_suspension"], facts=FACTS._replace(target_tariff_class="comercial", confirmed=True)
    ).allowed
    assert decide(spec=T["report_leak"], facts=FACTS).outcome == "confirmation_required"
    assert decide(spec=T["request_payment_plan"], facts=FACTS._replace(plan_problems=("x",), confirmed=True)).rule == (
        "plan_outside_policy"
    )
    assert decide(
        spec=T["verify_identity"], facts=FACTS._replace(verified_person_id=None, failed_verifications=3)
    ).rule == ("verification_locked")
    assert decide(spec=T["verify_identity"], facts=FACTS._replace(target_owner_person_id=9)).rule == (
        "one_customer_per_conversation"
    )
    assert decide(spec=None, facts=FACTS).rule == "unknown_tool"


@given(st.text(max_size=80))
def test_confirmation_needs_a_short_affirmative_without_negation(text: str) -> None:
    if is_explicit_confirmation(text=text):
        lowered = text.lower()
        assert "?" not in text and " no " not in f" {lowered} " and len(text.split()) <= 8


def test_tool_inputs_are_schema_validated() -> None:
    for bad in ({"purpose": "water_service"}, {"purpose": "whatsapp_notices", "extra": 1}, {}):
        try:
            parse_input(spec=T["opt_out"], data=bad)
        except InvalidToolInput:
            continue
        raise AssertionError(bad)
    assert parse_input(spec=T["request_payment_plan"], data={"down_payment": "10.50", "installments": 3})


def test_cost_from_the_four_usage_fields() -> None:
    prices = parse_prices(text="input=2,output=10,cache_write=2.5,cache_read=0.1")
    assert prices == Prices(Decimal(2), Decimal(10), Decimal("2.5"), Decimal("0.1"))
    assert cost_usd(usage=Usage(1000, 500, 2000, 10000), prices=prices) == Decimal("0.013000")

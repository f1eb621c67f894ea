"""Persons of the synthetic utility: one per account (personas físicas for homes, físicas or morales for shops,
morales for industry), plus a few public institutions that own every public-use account.

Físicas get a CURP (90 %) and an RFC when they invoice (45 % of homes, every shop owner), with a régimen and uso
CFDI that fit; morales always have an RFC (régimen 601, institutions 603). Contact data is partial on purpose.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from devtools.seeding import bulk, catalog
from devtools.seeding.bulk import Encoded
from devtools.seeding.identifiers import make_curp, make_rfc_fisica, make_rfc_moral, plain_upper
from devtools.seeding.plan import (
    CHUNK,
    COMERCIAL,
    DOMESTICO,
    INDUSTRIAL,
    LOCAL_UTC_OFFSET_H,
    PUBLICO,
    SOCIAL,
    US_PER_DAY,
    US_PER_HOUR,
    Plan,
    pg_days,
    rng_for,
)

PERSON_STREAM = 1
TEXT_COLUMNS = (
    "person_type",
    "first_name",
    "paternal_surname",
    "maternal_surname",
    "legal_name",
    "rfc",
    "curp",
    "email",
    "phone",
    "regimen_fiscal",
    "uso_cfdi",
    "fiscal_postal_code",
)
PG_EPOCH = dt.date(2000, 1, 1)
Row = tuple[str | None, ...]


def _weights(values: list[int]) -> np.ndarray:
    w = np.array(values, dtype=float)
    return w / w.sum()


@dataclass
class _Draws:
    """Random choices for a chunk of k accounts (drawn up front so the chunk is reproducible)."""

    moral: np.ndarray
    male: np.ndarray
    given_m: np.ndarray
    given_f: np.ndarray
    paternal: np.ndarray
    maternal: np.ndarray
    age_days: np.ndarray
    company_age: np.ndarray
    birth_state: np.ndarray
    differentiator: np.ndarray
    has_rfc: np.ndarray
    has_curp: np.ndarray
    has_email: np.ndarray
    has_phone: np.ndarray
    email_n: np.ndarray
    email_domain: np.ndarray
    phone: np.ndarray
    regimen_home: np.ndarray
    regimen_shop: np.ndarray
    business: np.ndarray
    industry: np.ndarray
    industry_word: np.ndarray
    suffix: np.ndarray
    vulnerable: np.ndarray


def _draw(rng: np.random.Generator, cls: np.ndarray) -> _Draws:
    k = len(cls)
    moral = (cls == INDUSTRIAL) | ((cls == COMERCIAL) & (rng.random(k) < 0.45))
    homes = (cls == DOMESTICO) | (cls == SOCIAL)
    return _Draws(
        moral=moral,
        male=rng.random(k) < 0.5,
        given_m=rng.integers(0, len(catalog.MALE_NAMES), k),
        given_f=rng.integers(0, len(catalog.FEMALE_NAMES), k),
        paternal=rng.integers(0, len(catalog.SURNAMES), k),
        maternal=rng.integers(0, len(catalog.SURNAMES), k),
        age_days=rng.integers(20 * 365, 65 * 365, k),
        company_age=rng.integers(30, 25 * 365, k),
        birth_state=rng.choice(len(catalog.BIRTH_STATES), size=k, p=_weights([w for _, w in catalog.BIRTH_STATES])),
        differentiator=rng.integers(0, 10, k),
        has_rfc=moral | (cls == COMERCIAL) | (rng.random(k) < 0.45),
        has_curp=~moral & (rng.random(k) < 0.9),
        has_email=rng.random(k) < np.where(moral, 0.8, 0.45),
        has_phone=rng.random(k) < np.where(moral, 0.95, 0.8),
        email_n=rng.integers(1, 100, k),
        email_domain=rng.integers(0, len(catalog.EMAIL_DOMAINS), k),
        phone=rng.integers(0, 10_000_000, k),
        regimen_home=rng.choice(["605", "612", "626", "616"], size=k, p=[0.55, 0.15, 0.15, 0.15]),
        regimen_shop=rng.choice(["612", "626"], size=k),
        business=rng.integers(0, len(catalog.BUSINESS_KINDS), k),
        industry=rng.integers(0, len(catalog.INDUSTRY_KINDS), k),
        industry_word=rng.integers(0, len(catalog.INDUSTRY_WORDS), k),
        suffix=rng.integers(0, len(catalog.BUSINESS_SUFFIXES), k),
        vulnerable=(cls == SOCIAL) | (homes & (rng.random(k) < 0.02)),
    )


def _ascii_lower(text: str) -> str:
    return plain_upper(text).replace(" ", "").replace("Ñ", "N").lower()


def _moral(d: _Draws, j: int, industrial: bool, opened: dt.date, postal_code: str) -> Row:
    if industrial:
        legal = (
            f"{catalog.INDUSTRY_KINDS[d.industry[j]]} {catalog.INDUSTRY_WORDS[d.industry_word[j]]} "
            f"{catalog.BUSINESS_SUFFIXES[d.suffix[j] % 2]}"
        )
    else:
        legal = (
            f"{catalog.BUSINESS_KINDS[d.business[j]]} {catalog.SURNAMES[d.paternal[j]]} "
            f"{catalog.BUSINESS_SUFFIXES[d.suffix[j]]}"
        )
    rfc = make_rfc_moral(legal_name=legal, incorporated=opened - dt.timedelta(days=int(d.company_age[j])))
    domain = _ascii_lower(legal.split(" S.")[0])[:24]
    email = f"contacto@{domain}.com.mx" if d.has_email[j] else None
    phone = f"+52442{d.phone[j]:07d}" if d.has_phone[j] else None
    return ("moral", None, None, None, legal, rfc, None, email, phone, "601", "G03", postal_code)


def _fisica(d: _Draws, j: int, shop: bool, opened: dt.date, postal_code: str) -> Row:
    given = catalog.MALE_NAMES[d.given_m[j]] if d.male[j] else catalog.FEMALE_NAMES[d.given_f[j]]
    paternal, maternal = catalog.SURNAMES[d.paternal[j]], catalog.SURNAMES[d.maternal[j]]
    birth = opened - dt.timedelta(days=int(d.age_days[j]))
    rfc = make_rfc_fisica(paternal=paternal, maternal=maternal, given=given, birth=birth) if d.has_rfc[j] else None
    curp = (
        make_curp(
            paternal=paternal,
            maternal=maternal,
            given=given,
            birth=birth,
            sex="H" if d.male[j] else "M",
            state=catalog.BIRTH_STATES[d.birth_state[j]][0],
            differentiator_index=int(d.differentiator[j]),
        )
        if d.has_curp[j]
        else None
    )
    email = (
        (
            f"{_ascii_lower(given.split()[0])}.{_ascii_lower(paternal)}{d.email_n[j]}@"
            f"{catalog.EMAIL_DOMAINS[d.email_domain[j]]}"
        )
        if d.has_email[j]
        else None
    )
    phone = f"+52442{d.phone[j]:07d}" if d.has_phone[j] else None
    if rfc is None:
        return ("fisica", given, paternal, maternal, None, None, curp, email, phone, None, None, None)
    regimen = str(d.regimen_shop[j] if shop else d.regimen_home[j])
    uso = "G03" if regimen in ("612", "626") else "S01"
    return ("fisica", given, paternal, maternal, None, rfc, curp, email, phone, regimen, uso, postal_code)


def _private(plan: Plan, number: int, lo: int, hi: int, first_id: int) -> dict[str, Encoded]:
    cls = plan.cls[lo:hi]
    d = _draw(rng_for(plan.spec.seed, PERSON_STREAM, number), cls)
    keep = np.flatnonzero(cls != PUBLICO)
    built: list[Row] = []
    for j in keep.tolist():
        opened = PG_EPOCH + dt.timedelta(days=int(plan.opened_day[lo + j]))
        postal_code = catalog.COLONIAS[plan.colonia[lo + j]].postal_code
        if d.moral[j]:
            built.append(_moral(d, j, cls[j] == INDUSTRIAL, opened, postal_code))
        else:
            built.append(_fisica(d, j, cls[j] == COMERCIAL, opened, postal_code))
    rows = len(built)
    created = bulk.timestamptz(
        plan.opened_day[lo + keep].astype(np.int64) * US_PER_DAY + (10 + LOCAL_UTC_OFFSET_H) * US_PER_HOUR
    )
    columns = {"id": bulk.int8(first_id + np.arange(rows)), "tenant_id": bulk.uuid_const(plan.spec.tenant_id, rows)}
    by_column = list(zip(*built, strict=True)) if built else [() for _ in TEXT_COLUMNS]
    columns.update({name: bulk.text(list(values)) for name, values in zip(TEXT_COLUMNS, by_column, strict=True)})
    columns["vulnerable"] = bulk.boolean(d.vulnerable[keep])
    columns["created_at"] = created
    columns["updated_at"] = created
    return columns


def _institutions(plan: Plan, first_id: int) -> dict[str, Encoded]:
    count = plan.institution_persons
    names = list(catalog.PUBLIC_INSTITUTIONS[:count])
    rfcs = [
        make_rfc_moral(legal_name=name, incorporated=dt.date(1985, 1, 1) + dt.timedelta(days=397 * i))
        for i, name in enumerate(names)
    ]
    none: list[str | None] = [None] * count
    created = bulk.timestamptz(
        pg_days(dt.date(1990, 1, 2)) * US_PER_DAY + (10 + LOCAL_UTC_OFFSET_H) * US_PER_HOUR, count
    )
    return {
        "id": bulk.int8(first_id + np.arange(count)),
        "tenant_id": bulk.uuid_const(plan.spec.tenant_id, count),
        "person_type": bulk.text_const("moral", count),
        "first_name": bulk.text(none),
        "paternal_surname": bulk.text(none),
        "maternal_surname": bulk.text(none),
        "legal_name": bulk.text(names),
        "rfc": bulk.text(rfcs),
        "curp": bulk.text(none),
        "email": bulk.text([f"agua{i + 1}@queretaro.gob.mx" for i in range(count)]),
        "phone": bulk.text([f"+5244221{i:05d}" for i in range(count)]),
        "regimen_fiscal": bulk.text_const("603", count),
        "uso_cfdi": bulk.text_const("G03", count),
        "fiscal_postal_code": bulk.text_const("76000", count),
        "vulnerable": bulk.boolean(False, count),
        "created_at": created,
        "updated_at": created,
    }


def persons(plan: Plan, first_id: int) -> Iterator[dict[str, Encoded]]:
    """Person rows in chunks; ids from `first_id`, in the order `plan.person_of_account` expects."""
    for number, lo in enumerate(range(0, plan.accounts, CHUNK)):
        hi = min(plan.accounts, lo + CHUNK)
        columns = _private(plan, number, lo, hi, first_id)
        rows = columns["id"].n
        first_id += rows
        if rows:
            yield columns
    if plan.institution_persons:
        yield _institutions(plan, first_id)

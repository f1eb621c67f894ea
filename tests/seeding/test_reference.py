"""Reference seed: the tenant exactly as seed plan §1.5, every tariff file validated and stored, idempotent."""

import json
import shutil

import pytest

from devtools.seeding.reference import (
    TARIFFS_DIR,
    TENANT,
    InvalidTariffFile,
    TariffConflict,
    TenantSlugTaken,
    load_tariff_files,
    seed_reference,
)
from shared.domain.tariffs.schema import TariffSchedule


def _snapshot(db):
    with db.owner() as conn:
        tenants = conn.execute(
            "SELECT id::text, slug, name, rfc, fiscal_name, regimen_fiscal, postal_code, config,"
            " created_at FROM tenants ORDER BY id"
        ).fetchall()
        tariffs = conn.execute(
            "SELECT id, name, tariff_class, version, effective_from, effective_to, definition,"
            " created_at FROM tariff_schedules ORDER BY id"
        ).fetchall()
    return tenants, tariffs


def test_reference_seed_matches_the_seed_plan_and_is_idempotent(fresh_db):
    first = seed_reference(fresh_db.owner_url)
    assert first.tenant == "inserted"
    files = sorted(TARIFFS_DIR.glob("*.json"))
    assert len(first.tariffs_inserted) == len(files) > 0
    before = _snapshot(fresh_db)
    second = seed_reference(fresh_db.owner_url)
    assert second.tenant == "unchanged" and second.tariffs_inserted == []
    assert sorted(second.tariffs_unchanged) == sorted(first.tariffs_inserted)
    assert _snapshot(fresh_db) == before

    tenants, tariffs = before
    assert tenants[0][:8] == (
        "00000000-0000-0000-0000-000000000001",
        "cea-queretaro",
        "CEA Queretaro",
        "CEQ850101AA0",
        "Comision Estatal de Aguas de Queretaro",
        "603",
        "76000",
        {"timezone": "America/Mexico_City", "currency": "MXN", "default_tariff_type": "domestico"},
    )
    for row in tariffs:
        stored = TariffSchedule.model_validate(row[6])
        assert (stored.name, stored.tariff_class.value, stored.effective_from, stored.effective_to) == (
            row[1],
            row[2],
            row[4],
            row[5],
        )
    domestico = next(TariffSchedule.model_validate(r[6]) for r in tariffs if r[1] == "Domestico 2026")
    assert [str(b.price_per_m3) for b in domestico.pricing.blocks] == ["5.50", "8.75", "14.50", "22.00"]


def test_a_drifted_tenant_is_restored(fresh_db):
    seed_reference(fresh_db.owner_url)
    with fresh_db.owner() as conn:
        conn.execute("UPDATE tenants SET name = 'otro' WHERE id = %s", (TENANT["id"],))
    assert seed_reference(fresh_db.owner_url).tenant == "updated"
    with fresh_db.owner() as conn:
        assert conn.execute("SELECT name FROM tenants WHERE id = %s", (TENANT["id"],)).fetchone() == ("CEA Queretaro",)


def test_a_changed_tariff_file_is_a_conflict_not_an_overwrite(fresh_db, tmp_path):
    for path in TARIFFS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    seed_reference(fresh_db.owner_url, tariffs_dir=tmp_path)
    changed = json.loads((tmp_path / "domestico_2026.json").read_text())
    changed["pricing"]["blocks"][0]["price_per_m3"] = "6.00"
    (tmp_path / "domestico_2026.json").write_text(json.dumps(changed))
    with pytest.raises(TariffConflict):
        seed_reference(fresh_db.owner_url, tariffs_dir=tmp_path)


def test_an_invalid_tariff_file_names_the_file_and_problem(tmp_path):
    (tmp_path / "broken.json").write_text(json.dumps({"name": "x", "tariff_class": "domestico"}))
    with pytest.raises(InvalidTariffFile, match=r"broken\.json"):
        load_tariff_files(tmp_path)


def test_slug_taken_by_another_tenant_is_refused(fresh_db):
    with fresh_db.owner() as conn:
        conn.execute("INSERT INTO tenants (slug, name, rfc, fiscal_name) VALUES ('cea-queretaro', 'x', 'x', 'x')")
    with pytest.raises(TenantSlugTaken):
        seed_reference(fresh_db.owner_url)

"""The PDF bill rendered to PNG (not blank, with the fiscal data and the Art. 74 notice when in arrears) and the
download routes (a customer gets only their own invoices)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageStat

from functions.api.app import create_app
from shared.adapters.pdf import render_bill_pdf
from shared.application.access.tokens import issue_token, reset_tenant_cache
from shared.application.cfdi.bill import bill_data
from shared.application.cfdi.services import CfdiServices
from shared.platform.config import reset_settings_cache
from shared.platform.secrets import reset_secret_cache
from tests.cfdi_flow.conftest import GOOD_RECEIVER, NO_RFC, build_world, docs, install
from tests.cfdi_flow.rounds import stamp_round
from tests.fixtures.postgres import TestDatabase


def to_png(pdf: bytes, out: Path) -> Image.Image:
    """Rasterise page 1: pdftoppm (poppler-utils) when installed, else PDFium."""
    pdf_path = out / "bill.pdf"
    pdf_path.write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf_path), str(out / "bill")], check=True, timeout=60
        )
        return Image.open(out / "bill.png").convert("RGB")
    import pypdfium2 as pdfium

    image = pdfium.PdfDocument(pdf)[0].render(scale=100 / 72).to_pil().convert("RGB")
    image.save(out / "bill.png")
    return image


def pdf_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(pdf)[0]
    return str(page.get_textpage().get_text_range())


def test_sample_bill_renders_to_a_non_blank_png_with_fiscal_data(
    fresh_db: TestDatabase, services: CfdiServices, tmp_path: Path
) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER, NO_RFC]])
    with world.owner() as conn:
        conn.execute(
            "UPDATE invoices SET previous_balance = 150, amount_due = total + 150 WHERE id = %s", (world.invoices[0],)
        )
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id, services=services)
    bill, doc = bill_data(tenant_id=world.tenant_id, invoice_id=world.invoices[0])
    assert doc is not None and bill.fiscal is not None and bill.fiscal.uuid.lower() == str(doc["uuid"])
    assert bill.previous_read is not None and bill.current_read is not None and bill.in_arrears
    pdf = render_bill_pdf(bill)
    image = to_png(pdf, tmp_path)
    assert image.size[0] > 600 and image.size[1] > 800
    gray = image.convert("L")
    dark = sum(gray.histogram()[:200]) / (gray.size[0] * gray.size[1])
    assert 0.03 < dark < 0.6, dark  # ink on the page, but not a black page
    assert ImageStat.Stat(gray).stddev[0] > 30
    text = pdf_text(pdf)
    for expected in (
        bill.fiscal.uuid,
        "Art. 74",
        "CLABE",
        bill.payment_reference,
        "Total a pagar",
        "Lectura anterior",
        "HISTORIAL DE CONSUMO",
    ):
        assert expected in text, expected
    qr_url = bill.fiscal.qr_url
    assert qr_url.startswith("https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id=")
    assert f"&tt={bill.fiscal.total}&fe=" in qr_url
    plain, _ = bill_data(tenant_id=world.tenant_id, invoice_id=world.invoices[1])
    assert not plain.in_arrears and "Art. 74" not in pdf_text(render_bill_pdf(plain))
    business = dataclasses.replace(bill, tariff_class="comercial")  # non-domestic debtors: suspension, not Art. 74
    business_text = pdf_text(render_bill_pdf(business))
    assert "Art. 74" not in business_text and "SUSPENSIÓN" in business_text


@pytest.fixture()
def api(monkeypatch: pytest.MonkeyPatch, storage_env: str) -> TestClient:
    monkeypatch.setenv("JWT_SIGNING_KEY", "k" * 48)
    reset_settings_cache()
    reset_secret_cache()
    reset_tenant_cache()
    return TestClient(create_app(), raise_server_exceptions=False)


def test_downloads_serve_own_invoices_only(fresh_db: TestDatabase, installed: CfdiServices, api: TestClient) -> None:
    world = build_world(fresh_db, per_sector=[[GOOD_RECEIVER, NO_RFC]])
    install(world, installed)
    stamp_round(tenant_id=world.tenant_id, run_id=world.run_id)
    with world.owner() as conn:
        person = conn.execute("SELECT person_id FROM accounts WHERE id = %s", (world.accounts[0],)).fetchone()[0]
    now = dt.datetime.now(dt.UTC)
    customer = {
        "Authorization": "Bearer " + issue_token(tenant="cea-test", roles=["customer"], now=now, person_id=person)
    }
    staff = {"Authorization": "Bearer " + issue_token(tenant="cea-test", roles=["operator"], now=now)}
    own, other = world.invoices
    xml = api.get(f"/api/v1/invoices/{own}/cfdi.xml", headers=customer)
    assert xml.status_code == 200, xml.text
    assert xml.headers["content-type"].startswith("application/xml") and b"TimbreFiscalDigital" in xml.content
    pdf = api.get(f"/api/v1/invoices/{own}/bill.pdf", headers=customer)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    own_doc = docs(world, f"invoice_id = {own}")[0]
    assert own_doc["xml_blob"] and own_doc["pdf_blob"]  # first download published both to Blob Storage
    assert api.get(f"/api/v1/invoices/{other}/cfdi.xml", headers=customer).status_code == 404
    assert api.get(f"/api/v1/invoices/{other}/bill.pdf", headers=staff).status_code == 200
    assert api.get(f"/api/v1/invoices/{own}/cfdi.xml").status_code == 401

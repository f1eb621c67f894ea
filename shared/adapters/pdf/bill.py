"""The printed bill (representación impresa del CFDI, es-MX) rendered with reportlab.

One letter page: issuer header; account, toma and holder; period, readings and consumption; a 12-month consumption
bar chart; the charge breakdown; previous balance, total and due date; payment references (OXXO reference with a
Code 128 barcode, SPEI CLABE); the SAT QR code and the fiscal data of the stamp; and the Art. 74 notice (supply
limited to 50 L per person per day) when the account is in arrears. Input is `BillData`, plain values only.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import qrcode
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

BLUE = colors.HexColor("#0B4F8A")
LIGHT = colors.HexColor("#E8F1FA")
RED = colors.HexColor("#B00020")
MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
MONTHS_SHORT = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


@dataclass(frozen=True)
class Reading:
    on: date
    value: Decimal


@dataclass(frozen=True)
class ChargeLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_rate: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class FiscalData:
    uuid: str
    fecha_timbrado: str
    no_certificado: str
    no_certificado_sat: str
    sello_cfd: str
    sello_sat: str
    cadena_tfd: str
    receiver_rfc: str
    receiver_name: str
    uso_cfdi: str
    regimen_receptor: str
    metodo_pago: str
    forma_pago: str
    total: str
    qr_url: str
    tipo: str = "I - Ingreso"


@dataclass(frozen=True)
class BillData:
    issuer_name: str
    issuer_rfc: str
    issuer_regimen: str
    lugar_expedicion: str
    serie: str
    folio: str
    account_number: str
    toma_number: str
    holder_name: str
    address: str
    sector: str
    tariff_class: str
    meter_serial: str | None
    period: date
    issued_on: date | None
    due_date: date | None
    previous_read: Reading | None
    current_read: Reading | None
    consumption_m3: Decimal
    estimated: bool
    history: tuple[tuple[date, Decimal], ...]  # (period, m³), oldest first, up to 12
    lines: tuple[ChargeLine, ...]
    subtotal: Decimal
    tax_total: Decimal
    period_total: Decimal
    previous_balance: Decimal
    amount_due: Decimal
    payment_reference: str
    clabe: str
    household_size: int = 4
    fiscal: FiscalData | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def in_arrears(self) -> bool:
        return self.previous_balance > 0

    @property
    def domestic(self) -> bool:
        """Domestic and social tariffs: Art. 74 limits their supply instead of suspending it."""
        return self.tariff_class.startswith("domestico") or self.tariff_class == "social"


def money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def period_label(period: date) -> str:
    return f"{MONTHS[period.month - 1]} {period.year}"


def _date(value: date | None) -> str:
    return f"{value.day:02d}/{MONTHS_SHORT[value.month - 1]}/{value.year}" if value else "—"


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.width, self.height = LETTER

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 8,
        bold: bool = False,
        color: colors.Color = colors.black,
        right: bool = False,
    ) -> None:
        self.c.setFillColor(color)
        self.c.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        (self.c.drawRightString if right else self.c.drawString)(x, y, value)

    def box(self, x: float, y: float, w: float, h: float, title: str) -> None:
        self.c.setStrokeColor(BLUE)
        self.c.setLineWidth(0.6)
        self.c.rect(x, y, w, h, stroke=1, fill=0)
        self.c.setFillColor(BLUE)
        self.c.rect(x, y + h - 4.2 * mm, w, 4.2 * mm, stroke=0, fill=1)
        self.text(x + 2 * mm, y + h - 3.1 * mm, title, size=7.5, bold=True, color=colors.white)


def _header(p: _Page, bill: BillData) -> None:
    top = p.height - 12 * mm
    p.text(12 * mm, top, bill.issuer_name, size=13, bold=True, color=BLUE)
    p.text(
        12 * mm,
        top - 5 * mm,
        f"RFC {bill.issuer_rfc}  ·  Régimen fiscal {bill.issuer_regimen}  ·  "
        f"Lugar de expedición {bill.lugar_expedicion}",
        size=7.5,
    )
    p.text(p.width - 12 * mm, top, "RECIBO DE AGUA", size=13, bold=True, color=BLUE, right=True)
    p.text(p.width - 12 * mm, top - 5 * mm, f"Folio {bill.serie}-{bill.folio}", size=9, bold=True, right=True)
    p.text(p.width - 12 * mm, top - 9 * mm, f"Periodo: {period_label(bill.period)}", size=8, right=True)


def _account(p: _Page, bill: BillData, y: float) -> None:
    x, w, h = 12 * mm, 110 * mm, 34 * mm
    p.box(x, y, w, h, "DATOS DE LA CUENTA")
    rows = [
        ("Titular", bill.holder_name),
        ("Cuenta", bill.account_number),
        ("Toma", bill.toma_number),
        ("Domicilio", bill.address),
        ("Sector", bill.sector),
        ("Tarifa", bill.tariff_class),
        ("Medidor", bill.meter_serial or "sin medidor"),
    ]
    for i, (label, value) in enumerate(rows):
        yy = y + h - 8.5 * mm - i * 3.6 * mm
        p.text(x + 2 * mm, yy, f"{label}:", bold=True)
        p.text(x + 20 * mm, yy, value[:70])
    x2, w2 = 126 * mm, p.width - 138 * mm
    p.box(x2, y, w2, h, "TOTAL A PAGAR")
    p.c.setFillColor(BLUE)
    p.c.setFont("Helvetica-Bold", 18)
    p.c.drawCentredString(x2 + w2 / 2, y + h - 15 * mm, money(bill.amount_due))
    p.text(x2 + 3 * mm, y + h - 22 * mm, f"Fecha límite de pago: {_date(bill.due_date)}", size=8.5, bold=True)
    p.text(x2 + 3 * mm, y + h - 26.5 * mm, f"Fecha de emisión: {_date(bill.issued_on)}", size=7.5)
    if bill.in_arrears:
        p.text(x2 + 3 * mm, y + 2.5 * mm, "CUENTA CON ADEUDO", size=8, bold=True, color=RED)


def _readings(p: _Page, bill: BillData, y: float) -> None:
    x, w, h = 12 * mm, 70 * mm, 38 * mm
    p.box(x, y, w, h, "LECTURAS Y CONSUMO")
    prev, cur = bill.previous_read, bill.current_read
    rows = [
        ("Lectura anterior", f"{prev.value:,.0f} m³  ({_date(prev.on)})" if prev else "—"),
        ("Lectura actual", f"{cur.value:,.0f} m³  ({_date(cur.on)})" if cur else "—"),
        ("Consumo del periodo", f"{bill.consumption_m3:,.0f} m³"),
        ("Tipo de consumo", "Estimado" if bill.estimated else "Medido"),
    ]
    for i, (label, value) in enumerate(rows):
        yy = y + h - 9 * mm - i * 5 * mm
        p.text(x + 2 * mm, yy, label, bold=True)
        p.text(x + 34 * mm, yy, value)
    if bill.estimated:
        p.text(x + 2 * mm, y + 3 * mm, "Consumo estimado: se ajustará con la próxima lectura.", size=6.5)


def _chart(p: _Page, bill: BillData, y: float) -> None:
    x, w, h = 86 * mm, p.width - 98 * mm, 38 * mm
    p.box(x, y, w, h, "HISTORIAL DE CONSUMO (m³, ÚLTIMOS 12 MESES)")
    history = bill.history[-12:] or ((bill.period, bill.consumption_m3),)
    drawing = Drawing(w - 6 * mm, h - 9 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 8 * mm, 5 * mm
    chart.width, chart.height = w - 16 * mm, h - 17 * mm
    chart.data = [[float(m3) for _p, m3 in history]]
    chart.categoryAxis.categoryNames = [f"{MONTHS_SHORT[d.month - 1]}{d.year % 100:02d}" for d, _m in history]
    chart.categoryAxis.labels.fontSize = 5.5
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%.0f"
    chart.barLabels.fontSize = 5
    chart.barLabels.nudge = 4
    drawing.add(chart)
    if not any(m3 for _p, m3 in history):
        drawing.add(String(20 * mm, 12 * mm, "Sin consumo registrado", fontSize=7))
    renderPDF.draw(drawing, p.c, x + 2 * mm, y + 1 * mm)


def _charges(p: _Page, bill: BillData, y_top: float) -> float:
    x, w = 12 * mm, p.width - 24 * mm
    rows = len(bill.lines)
    h = (14 + rows * 4.2 + 24) * mm
    y = y_top - h
    p.box(x, y, w, h, "DESGLOSE DE CARGOS")
    cols = (x + 2 * mm, x + 100 * mm, x + 125 * mm, x + 152 * mm, x + w - 2 * mm)
    head_y = y + h - 9 * mm
    for label, cx, right in (
        ("Concepto", cols[0], False),
        ("Cantidad", cols[1], True),
        ("Precio unitario", cols[2], True),
        ("IVA", cols[3], True),
        ("Importe", cols[4], True),
    ):
        p.text(cx, head_y, label, bold=True, right=right)
    for i, line in enumerate(bill.lines):
        yy = head_y - (i + 1) * 4.2 * mm
        if i % 2 == 0:
            p.c.setFillColor(LIGHT)
            p.c.rect(x + 1, yy - 1.3 * mm, w - 2, 4.2 * mm, stroke=0, fill=1)
        p.text(cols[0], yy, line.description[:62])
        p.text(cols[1], yy, f"{line.quantity.normalize():f}", right=True)
        p.text(cols[2], yy, f"${line.unit_price:,.4f}", right=True)
        p.text(cols[3], yy, f"{line.tax_rate * 100:.0f}% {money(line.tax_amount)}", right=True)
        p.text(cols[4], yy, money(line.amount), right=True)
    totals = [
        ("Subtotal", bill.subtotal),
        ("IVA", bill.tax_total),
        ("Total del periodo", bill.period_total),
        ("Saldo anterior", bill.previous_balance),
        ("Total a pagar", bill.amount_due),
    ]
    for i, (label, value) in enumerate(totals):
        yy = y + 21 * mm - i * 4.2 * mm
        bold = label == "Total a pagar"
        p.text(cols[3], yy, label, bold=bold, right=True)
        p.text(cols[4], yy, money(value), bold=bold, right=True, color=BLUE if bold else colors.black)
    return y


def _payment(p: _Page, bill: BillData, y_top: float) -> float:
    x, w, h = 12 * mm, p.width - 24 * mm, 30 * mm
    y = y_top - h - 3 * mm
    p.box(x, y, w, h, "FORMAS DE PAGO")
    p.text(x + 3 * mm, y + h - 9 * mm, "Tiendas OXXO y pago en efectivo", bold=True)
    p.text(x + 3 * mm, y + h - 13 * mm, f"Referencia: {bill.payment_reference}", size=9, bold=True)
    barcode = code128.Code128(bill.payment_reference, barHeight=10 * mm, barWidth=0.33 * mm, humanReadable=False)
    barcode.drawOn(p.c, x + 1 * mm, y + 3 * mm)
    x2 = x + w / 2 + 6 * mm
    p.text(x2, y + h - 9 * mm, "Transferencia SPEI", bold=True)
    p.text(x2, y + h - 13 * mm, f"CLABE: {bill.clabe}", size=9, bold=True)
    p.text(x2, y + h - 18 * mm, f"Beneficiario: {bill.issuer_name}"[:60], size=7)
    p.text(x2, y + h - 22 * mm, f"Concepto: cuenta {bill.account_number}", size=7)
    p.text(x2, y + 3 * mm, f"Pague antes del {_date(bill.due_date)} para evitar recargos.", size=7)
    return y


def _notice(p: _Page, bill: BillData, y_top: float) -> float:
    if not bill.in_arrears:
        return y_top
    x, w, h = 12 * mm, p.width - 24 * mm, 17 * mm
    y = y_top - h - 3 * mm
    p.c.setStrokeColor(RED)
    p.c.setLineWidth(1)
    p.c.rect(x, y, w, h, stroke=1, fill=0)
    if bill.domestic:
        title = "AVISO (Art. 74 de la Ley de agua del Estado de Querétaro)"
        liters = 50 * bill.household_size
        consequence = (
            f"el suministro doméstico se limitará a 50 litros por persona al día (aprox. {liters} L/día "
            f"para {bill.household_size} personas); no se suspende"
        )
    else:
        title = "AVISO DE SUSPENSIÓN POR ADEUDO"
        consequence = "el servicio no doméstico podrá suspenderse hasta que se liquide el adeudo o se firme un convenio"
    p.text(x + 3 * mm, y + h - 5 * mm, title, bold=True, color=RED)
    message = (
        f"Su cuenta tiene un adeudo anterior de {money(bill.previous_balance)}. Si acumula dos periodos sin "
        f"pago, {consequence}. Pague {money(bill.amount_due)} a más tardar el {_date(bill.due_date)}. "
        "Los costos de reconexión corren a cargo del usuario."
    )
    for i, chunk in enumerate(textwrap.wrap(message, 150)[:3]):
        p.text(x + 3 * mm, y + h - 9 * mm - i * 3.2 * mm, chunk, size=7)
    return y


def _qr_image(url: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=1)
    qr.add_data(url)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def _fiscal(p: _Page, bill: BillData, y_top: float) -> None:
    x, w = 12 * mm, p.width - 24 * mm
    y = 10 * mm
    h = y_top - y - 3 * mm
    p.box(x, y, w, h, "DATOS FISCALES (CFDI 4.0)")
    f = bill.fiscal
    if f is None:
        p.text(x + 3 * mm, y + h - 10 * mm, "Comprobante fiscal en proceso de timbrado.", size=8, bold=True)
        return
    qr_size = min(30 * mm, h - 7 * mm)
    p.c.drawImage(_qr_image(f.qr_url), x + 2 * mm, y + h - 5 * mm - qr_size, qr_size, qr_size)
    tx = x + qr_size + 5 * mm
    rows = [
        ("Folio fiscal (UUID)", f.uuid),
        ("Fecha de certificación", f.fecha_timbrado),
        ("Tipo de comprobante", f.tipo),
        ("Receptor", f"{f.receiver_rfc} {f.receiver_name}"[:70]),
        ("Uso CFDI / Régimen", f"{f.uso_cfdi} / {f.regimen_receptor}"),
        ("Método / forma de pago", f"{f.metodo_pago} / {f.forma_pago}"),
        ("No. certificado emisor / SAT", f"{f.no_certificado} / {f.no_certificado_sat}"),
        ("Total del CFDI", f.total),
    ]
    for i, (label, value) in enumerate(rows):
        yy = y + h - 8.5 * mm - i * 3.3 * mm
        p.text(tx, yy, f"{label}:", size=6.5, bold=True)
        p.text(tx + 40 * mm, yy, value, size=6.5)
    yy = min(y + h - 8.5 * mm - len(rows) * 3.3 * mm, y + h - 5 * mm - qr_size) - 3 * mm
    for label, value in (
        ("Sello digital del CFDI", f.sello_cfd),
        ("Sello del SAT", f.sello_sat),
        ("Cadena original del complemento de certificación del SAT", f.cadena_tfd),
    ):
        if yy < y + 8 * mm:
            break
        p.text(x + 2 * mm, yy, label, size=6, bold=True)
        for chunk in textwrap.wrap(value, 160)[:3]:
            yy -= 2.6 * mm
            p.text(x + 2 * mm, yy, chunk, size=5)
        yy -= 3 * mm
    p.text(
        x + 2 * mm,
        y + 2.5 * mm,
        "Este documento es una representación impresa de un CFDI. Verifíquelo en "
        "verificacfdi.facturaelectronica.sat.gob.mx",
        size=6,
    )


def render_bill_pdf(bill: BillData) -> bytes:
    """The bill as PDF bytes (one page)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=LETTER, pageCompression=1)
    canvas.setTitle(f"Recibo {bill.serie}-{bill.folio} {period_label(bill.period)}")
    canvas.setAuthor(bill.issuer_name)
    canvas.setSubject("Representación impresa de CFDI")
    p = _Page(canvas)
    _header(p, bill)
    _account(p, bill, p.height - 58 * mm)
    _readings(p, bill, p.height - 100 * mm)
    _chart(p, bill, p.height - 100 * mm)
    y = _charges(p, bill, p.height - 102 * mm)
    y = _payment(p, bill, y)
    y = _notice(p, bill, y)
    _fiscal(p, bill, y)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

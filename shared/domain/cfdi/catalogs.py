"""SAT catalog codes the CFDI core uses (CFDI 4.0, catCFDI), kept as plain data.

Codes and descriptions come from the SAT catalogs bundled with satcfdi (`C756_c_*` tables). The persona
física/moral applicability of each régimen and the c_UsoCFDI × c_RegimenFiscalReceptor compatibility are the
columns "Física"/"Moral"/"Régimen Fiscal Receptor" of the SAT catalogs (Anexo 20 4.0); they are not in satcfdi's
database and were transcribed here. Keep them table-driven so the tax advisor can correct them in one place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

# --- Water-utility product/service keys (c_ClaveProdServ) -------------------------------------------------------
CLAVE_ACUEDUCTO_ALCANTARILLADO: Final = "83101500"  # Servicios de acueducto y alcantarillado (class level)
CLAVE_ABASTECIMIENTO_AGUA: Final = "83101501"  # Abastecimiento de agua (agua potable)
CLAVE_AGUA_CIUDAD: Final = "83101508"  # Agua para la ciudad
CLAVE_TRATAMIENTO_AGUAS: Final = "83101506"  # Servicios de tratamiento de aguas
CLAVE_SANEAMIENTO: Final = "76121701"  # Servicios de tratamiento de aguas negras (saneamiento)
CLAVE_VENTA_GLOBAL: Final = "01010101"  # "No existe en el catálogo": global CFDI lines (one per recibo)
CLAVE_PAGO: Final = "84111506"  # Servicios de facturación: the single concept of a type P CFDI

# Keys that must never be used for water/sewer lines (wrong meaning in the SAT catalog).
FORBIDDEN_WATER_KEYS: Final = {
    "83101600": "Servicios de petróleo y gas",
    "70171800": "Servicios de drenaje (drenaje de terrenos, no alcantarillado)",
}

# --- Units (c_ClaveUnidad) ---------------------------------------------------------------------------------------
UNIDAD_METRO_CUBICO: Final = "MTQ"
UNIDAD_SERVICIO: Final = "E48"
UNIDAD_ACTIVIDAD: Final = "ACT"
UNIDAD_PIEZA: Final = "H87"
UNIDAD_UNO: Final = "C62"

# --- Generic RFCs and público en general -------------------------------------------------------------------------
RFC_GENERICO_NACIONAL: Final = "XAXX010101000"
RFC_GENERICO_EXTRANJERO: Final = "XEXX010101000"
GENERIC_RFCS: Final = frozenset({RFC_GENERICO_NACIONAL, RFC_GENERICO_EXTRANJERO})
NOMBRE_PUBLICO_EN_GENERAL: Final = "PUBLICO EN GENERAL"
REGIMEN_SIN_OBLIGACIONES: Final = "616"
USO_SIN_EFECTOS_FISCALES: Final = "S01"
USO_PAGOS: Final = "CP01"

# --- Payment method / form ---------------------------------------------------------------------------------------
METODO_PUE: Final = "PUE"
METODO_PPD: Final = "PPD"
FORMA_POR_DEFINIR: Final = "99"

FORMAS_PAGO: Final = {
    "01": "Efectivo",
    "02": "Cheque nominativo",
    "03": "Transferencia electrónica de fondos",
    "04": "Tarjeta de crédito",
    "05": "Monedero electrónico",
    "06": "Dinero electrónico",
    "08": "Vales de despensa",
    "12": "Dación en pago",
    "13": "Pago por subrogación",
    "14": "Pago por consignación",
    "15": "Condonación",
    "17": "Compensación",
    "23": "Novación",
    "24": "Confusión",
    "25": "Remisión de deuda",
    "26": "Prescripción o caducidad",
    "27": "A satisfacción del acreedor",
    "28": "Tarjeta de débito",
    "29": "Tarjeta de servicios",
    "30": "Aplicación de anticipos",
    "31": "Intermediario pagos",
    "99": "Por definir",
}

TIPOS_COMPROBANTE: Final = {"I": "Ingreso", "E": "Egreso", "P": "Pago", "T": "Traslado", "N": "Nómina"}

TIPOS_RELACION: Final = {
    "01": "Nota de crédito de los documentos relacionados",
    "02": "Nota de débito de los documentos relacionados",
    "03": "Devolución de mercancía sobre facturas o traslados previos",
    "04": "Sustitución de los CFDI previos",
    "07": "CFDI por aplicación de anticipo",
}

OBJETOS_IMPUESTO: Final = {
    "01": "No objeto de impuesto",
    "02": "Sí objeto de impuesto",
    "03": "Sí objeto del impuesto y no obligado al desglose",
    "04": "Sí objeto del impuesto y no causa impuesto",
}

PERIODICIDADES: Final = {"01": "Diario", "02": "Semanal", "03": "Quincenal", "04": "Mensual", "05": "Bimestral"}
MESES: Final = frozenset(f"{m:02d}" for m in range(1, 19))  # 01-12 months, 13-18 bimonthly pairs

IMPUESTO_IVA: Final = "002"
TIPO_FACTOR_TASA: Final = "Tasa"
# IVA rates (TasaOCuota) accepted for a water utility: 0% domestic water, 16% general, 8% border region.
IVA_RATES: Final = frozenset({Decimal("0.000000"), Decimal("0.080000"), Decimal("0.160000")})

# --- Régimen fiscal: (description, applies to persona física, applies to persona moral) -------------------------
REGIMENES_FISCALES: Final[dict[str, tuple[str, bool, bool]]] = {
    "601": ("General de Ley Personas Morales", False, True),
    "603": ("Personas Morales con Fines no Lucrativos", False, True),
    "605": ("Sueldos y Salarios e Ingresos Asimilados a Salarios", True, False),
    "606": ("Arrendamiento", True, False),
    "607": ("Régimen de Enajenación o Adquisición de Bienes", True, False),
    "608": ("Demás ingresos", True, False),
    "610": ("Residentes en el Extranjero sin Establecimiento Permanente en México", True, True),
    "611": ("Ingresos por Dividendos (socios y accionistas)", True, False),
    "612": ("Personas Físicas con Actividades Empresariales y Profesionales", True, False),
    "614": ("Ingresos por intereses", True, False),
    "615": ("Régimen de los ingresos por obtención de premios", True, False),
    "616": ("Sin obligaciones fiscales", True, False),
    "620": ("Sociedades Cooperativas de Producción que optan por diferir sus ingresos", False, True),
    "621": ("Incorporación Fiscal", True, False),
    "622": ("Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras", False, True),
    "623": ("Opcional para Grupos de Sociedades", False, True),
    "624": ("Coordinados", False, True),
    "625": ("Actividades Empresariales con ingresos a través de Plataformas Tecnológicas", True, False),
    "626": ("Régimen Simplificado de Confianza", True, True),
}

_BUSINESS = ("601", "603", "606", "612", "620", "621", "622", "623", "624", "625", "626")
_DEDUCCIONES = ("605", "606", "607", "608", "611", "612", "614", "615", "625")
_ANY = (
    "601",
    "603",
    "605",
    "606",
    "607",
    "608",
    "610",
    "611",
    "612",
    "614",
    "615",
    "616",
    "620",
    "621",
    "622",
    "623",
    "624",
    "625",
    "626",
)

# --- Uso CFDI: (description, física, moral, régimenes fiscales del receptor permitidos) --------------------------
USOS_CFDI: Final[dict[str, tuple[str, bool, bool, frozenset[str]]]] = {
    "G01": ("Adquisición de mercancías", True, True, frozenset(_BUSINESS)),
    "G02": ("Devoluciones, descuentos o bonificaciones", True, True, frozenset((*_BUSINESS, "616"))),
    "G03": ("Gastos en general", True, True, frozenset(_BUSINESS)),
    "I01": ("Construcciones", True, True, frozenset(_BUSINESS)),
    "I02": ("Mobiliario y equipo de oficina por inversiones", True, True, frozenset(_BUSINESS)),
    "I03": ("Equipo de transporte", True, True, frozenset(_BUSINESS)),
    "I04": ("Equipo de cómputo y accesorios", True, True, frozenset(_BUSINESS)),
    "I05": ("Dados, troqueles, moldes, matrices y herramental", True, True, frozenset(_BUSINESS)),
    "I06": ("Comunicaciones telefónicas", True, True, frozenset(_BUSINESS)),
    "I07": ("Comunicaciones satelitales", True, True, frozenset(_BUSINESS)),
    "I08": ("Otra maquinaria y equipo", True, True, frozenset(_BUSINESS)),
    "D01": ("Honorarios médicos, dentales y gastos hospitalarios", True, False, frozenset(_DEDUCCIONES)),
    "D02": ("Gastos médicos por incapacidad o discapacidad", True, False, frozenset(_DEDUCCIONES)),
    "D03": ("Gastos funerales", True, False, frozenset(_DEDUCCIONES)),
    "D04": ("Donativos", True, False, frozenset(_DEDUCCIONES)),
    "D05": ("Intereses reales por créditos hipotecarios (casa habitación)", True, False, frozenset(_DEDUCCIONES)),
    "D06": ("Aportaciones voluntarias al SAR", True, False, frozenset(_DEDUCCIONES)),
    "D07": ("Primas por seguros de gastos médicos", True, False, frozenset(_DEDUCCIONES)),
    "D08": ("Gastos de transportación escolar obligatoria", True, False, frozenset(_DEDUCCIONES)),
    "D09": ("Depósitos en cuentas para el ahorro, planes de pensiones", True, False, frozenset(_DEDUCCIONES)),
    "D10": ("Pagos por servicios educativos (colegiaturas)", True, False, frozenset(_DEDUCCIONES)),
    "S01": ("Sin efectos fiscales", True, True, frozenset(_ANY)),
    "CP01": ("Pagos", True, True, frozenset(_ANY)),
    "CN01": ("Nómina", True, False, frozenset({"605"})),
}

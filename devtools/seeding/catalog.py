"""Plain data the synthetic utility draws from: Querétaro colonias, streets, names, meter brands, consumption.

Colonias are real places of the Querétaro metropolitan area (Querétaro, Corregidora, El Marqués) with their
postal codes and approximate centroids; weights are rough relative numbers of connections. Good enough for
development data, not a gazetteer.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.payments.references import DEFAULT_REFERENCE_PREFIX

TENANT_ID = "00000000-0000-0000-0000-000000000001"
TENANT_SLUG = "cea-queretaro"

# Bounding box of the served area (lat, lon): every synthetic toma lies inside it.
BBOX_LAT = (20.50, 20.78)
BBOX_LON = (-100.55, -100.28)


@dataclass(frozen=True)
class Colonia:
    name: str
    postal_code: str
    municipality: str
    lat: float
    lon: float
    weight: int


COLONIAS: tuple[Colonia, ...] = (
    Colonia("Centro", "76000", "Querétaro", 20.5930, -100.3920, 3),
    Colonia("Niños Héroes", "76010", "Querétaro", 20.5880, -100.3960, 2),
    Colonia("Jardines de Querétaro", "76020", "Querétaro", 20.5880, -100.3780, 2),
    Colonia("Cimatario", "76030", "Querétaro", 20.5800, -100.3760, 2),
    Colonia("Villas del Sol", "76046", "Querétaro", 20.5800, -100.3520, 3),
    Colonia("Carretas", "76050", "Querétaro", 20.5960, -100.3700, 2),
    Colonia("Loma Dorada", "76060", "Querétaro", 20.5840, -100.3550, 3),
    Colonia("Milenio III", "76060", "Querétaro", 20.5920, -100.3450, 4),
    Colonia("Hércules", "76069", "Querétaro", 20.5950, -100.3580, 2),
    Colonia("Lomas de Casa Blanca", "76080", "Querétaro", 20.5640, -100.3990, 4),
    Colonia("Centro Sur", "76090", "Querétaro", 20.5700, -100.3750, 2),
    Colonia("Colinas del Cimatario", "76090", "Querétaro", 20.5620, -100.3780, 2),
    Colonia("Plazas del Sol", "76099", "Querétaro", 20.5650, -100.3850, 3),
    Colonia("Jurica", "76100", "Querétaro", 20.6520, -100.4300, 2),
    Colonia("Satélite", "76110", "Querétaro", 20.6100, -100.4200, 3),
    Colonia("San Pablo", "76125", "Querétaro", 20.6200, -100.4050, 4),
    Colonia("Santa Mónica", "76138", "Querétaro", 20.6230, -100.4180, 3),
    Colonia("Felipe Carrillo Puerto", "76138", "Querétaro", 20.6270, -100.4300, 4),
    Colonia("Arboledas", "76140", "Querétaro", 20.5700, -100.3650, 2),
    Colonia("El Refugio", "76146", "Querétaro", 20.6400, -100.3500, 5),
    Colonia("Menchaca", "76147", "Querétaro", 20.6330, -100.4000, 4),
    Colonia("San José el Alto", "76147", "Querétaro", 20.6500, -100.3750, 4),
    Colonia("Lomas de San Pedrito Peñuelas", "76148", "Querétaro", 20.6280, -100.3800, 4),
    Colonia("Álamos 2a Sección", "76160", "Querétaro", 20.6050, -100.3850, 2),
    Colonia("Santa Rosa Jáuregui", "76220", "Querétaro", 20.7400, -100.4450, 4),
    Colonia("Tlacote el Bajo", "76226", "Querétaro", 20.6400, -100.5100, 2),
    Colonia("Juriquilla", "76230", "Querétaro", 20.7050, -100.4480, 3),
    Colonia("La Cañada", "76240", "El Marqués", 20.6090, -100.3270, 3),
    Colonia("Zibatá", "76269", "El Marqués", 20.6800, -100.3350, 2),
    Colonia("La Pradera", "76269", "El Marqués", 20.6500, -100.3300, 2),
    Colonia("El Pueblito", "76900", "Corregidora", 20.5380, -100.4420, 5),
    Colonia("Candiles", "76903", "Corregidora", 20.5520, -100.4150, 3),
    Colonia("Los Olvera", "76904", "Corregidora", 20.5500, -100.4100, 2),
    Colonia("Tejeda", "76904", "Corregidora", 20.5550, -100.4000, 2),
)

STREETS: tuple[str, ...] = (
    "Av. Constituyentes", "Av. Zaragoza", "Av. Universidad", "Av. 5 de Febrero", "Blvd. Bernardo Quintana",
    "Av. Pie de la Cuesta", "Av. Corregidora", "Calle Madero", "Calle Hidalgo", "Calle Juárez", "Calle Allende",
    "Calle Pino Suárez", "Calle Morelos", "Calle Ezequiel Montes", "Calle Río de la Loza", "Av. Tecnológico",
    "Calle Reforma", "Calle Independencia", "Prol. Corregidora", "Av. Luis Vega y Monroy", "Av. Fray Luis de León",
    "Calle Epigmenio González", "Calle Guerrero", "Calle Vergara", "Calle 16 de Septiembre", "Calle 5 de Mayo",
    "Calle Invierno", "Calle Primavera", "Calle Otoño", "Calle Verano", "Calle Jacarandas", "Calle Fresnos",
    "Calle Sauces", "Calle Cedros", "Calle Nogal", "Calle Encino", "Calle Roble", "Calle Pirules", "Calle Mezquite",
    "Calle Huizache", "Calle Tepeyac", "Calle Sierra Gorda", "Calle Peña de Bernal", "Calle Amealco",
    "Calle Cadereyta", "Calle Tequisquiapan", "Calle Jalpan", "Calle Pinal de Amoles", "Calle Landa",
    "Calle Colón", "Calle Arteaga", "Calle Josefa Ortiz de Domínguez", "Calle Ignacio Pérez", "Calle Tresguerras",
    "Calle Próspero C. Vega", "Calle Manuel Gómez Morín", "Calle Paseo de la Constitución",
    "Calle Cerro del Sombrerete",
    "Calle Cerro de las Campanas", "Calle Río Querétaro", "Calle Río Ayutla", "Calle Río Moctezuma",
    "Calle Prolongación Tecnológico", "Calle Camino Real", "Calle Ámsterdam", "Calle Lisboa", "Calle Turín",
    "Calle Las Rosas", "Calle Las Margaritas", "Calle Los Girasoles", "Calle Las Azucenas", "Calle Gardenias",
    "Av. de la Luz", "Av. Candiles", "Av. Paseo Constituyentes", "Calle Emiliano Zapata", "Calle Francisco Villa",
    "Calle Venustiano Carranza", "Calle Lázaro Cárdenas", "Calle Benito Juárez",
)

MALE_NAMES: tuple[str, ...] = (
    "José", "Juan", "Luis", "Miguel", "Carlos", "Jorge", "Francisco", "Alejandro", "Jesús", "Antonio", "Pedro",
    "Roberto", "Fernando", "Ricardo", "Eduardo", "Javier", "Manuel", "Arturo", "Sergio", "Raúl", "Daniel",
    "Héctor", "Martín", "Alberto", "Enrique", "Rafael", "Gerardo", "Óscar", "Mario", "Salvador", "Víctor",
    "Guillermo", "Ramón", "Andrés", "Diego", "Santiago", "Emiliano", "Mateo", "Sebastián", "José Luis",
    "Juan Carlos", "José Antonio", "Luis Fernando", "Ignacio", "Rubén", "Hugo", "Adrián", "Pablo", "Alfredo",
    "Ernesto",
)
FEMALE_NAMES: tuple[str, ...] = (
    "María", "Guadalupe", "Juana", "Margarita", "Verónica", "Leticia", "Rosa", "Patricia", "Elizabeth", "Alejandra",
    "Gabriela", "Adriana", "Claudia", "Silvia", "Martha", "Laura", "Ana", "Teresa", "Lucía", "Sofía", "Fernanda",
    "Valeria", "Daniela", "Mariana", "Andrea", "Carmen", "Josefina", "Araceli", "Norma", "Sandra", "Mónica",
    "Yolanda", "Alicia", "Beatriz", "Irma", "Esperanza", "Ximena", "Regina", "Camila", "Paola", "María Guadalupe",
    "María del Carmen", "Ana María", "María Elena", "Rosa María", "Brenda", "Karla", "Diana", "Fabiola", "Rocío",
)
SURNAMES: tuple[str, ...] = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez", "Ramírez", "Cruz",
    "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez", "Ruiz", "Mendoza",
    "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos",
    "Domínguez", "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas", "Contreras",
    "Salazar", "Luna", "Ortega", "Santiago", "Guerrero", "Estrada", "Bautista", "Cortés", "Soto", "Alvarado",
    "Espinoza", "Lara", "Ávila", "Ríos", "Cervantes", "Silva", "Delgado", "Vega", "Márquez", "Sandoval", "León",
    "Carrillo", "Mejía", "Solís", "Núñez", "Rosas", "Valdez", "Ibarra", "Campos", "Camacho", "Navarro", "Peña",
    "Maldonado", "Rosales", "Acosta", "Miranda", "Montes", "Olvera", "Ugalde", "Reséndiz", "Trejo", "Feregrino",
    "Hurtado", "Rico", "Pacheco", "Arteaga", "Balderas", "Mora", "Zúñiga", "Paredes", "Zamora", "Landaverde",
    "Nieves", "Servín", "Rangel", "Aguillón", "Moya", "Frías",
)
EMAIL_DOMAINS: tuple[str, ...] = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "live.com.mx",
                                  "icloud.com")

BUSINESS_KINDS: tuple[str, ...] = (
    "Abarrotes", "Farmacia", "Restaurante", "Lavandería", "Taller Mecánico", "Tortillería", "Papelería", "Panadería",
    "Estética", "Consultorio", "Hotel", "Gimnasio", "Autolavado", "Cocina Económica", "Tienda de Conveniencia",
)
BUSINESS_SUFFIXES: tuple[str, ...] = ("S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V.", "S.C.")
INDUSTRY_KINDS: tuple[str, ...] = (
    "Industrias", "Manufacturas", "Autopartes", "Alimentos", "Plásticos", "Metalmecánica", "Empaques", "Aeroespacial",
    "Textiles", "Químicos",
)
INDUSTRY_WORDS: tuple[str, ...] = (
    "del Bajío", "Querétaro", "Santa Rosa", "Arteaga", "El Marqués", "Cimatario", "Bernal", "Sierra Gorda",
    "Benito Juárez", "Balvanera",
)
PUBLIC_INSTITUTIONS: tuple[str, ...] = (
    "Municipio de Querétaro",
    "Municipio de Corregidora",
    "Municipio de El Marqués",
    "Unidad de Servicios para la Educación Básica en el Estado de Querétaro",
    "Universidad Autónoma de Querétaro",
    "Secretaría de Salud del Estado de Querétaro",
    "Instituto del Deporte y la Recreación del Estado de Querétaro",
    "Comisión Estatal de Aguas",
)

# RENAPO state codes for birthplaces of Querétaro residents, with rough weights.
BIRTH_STATES: tuple[tuple[str, int], ...] = (
    ("QT", 62), ("DF", 9), ("GT", 8), ("MC", 6), ("HG", 3), ("MN", 3), ("SP", 3), ("VZ", 3), ("JC", 3),
)

METER_BRANDS: tuple[str, ...] = ("Cicasa", "Itron", "Elster", "Badger Meter", "Zenner", "Sensus", "Arad")
PIPE_MATERIALS: tuple[str, ...] = ("PEAD", "Cobre", "PVC", "Polietileno")

# Tariff mix (share of accounts) and median monthly consumption in m³ by class.
TARIFF_MIX: tuple[tuple[str, float], ...] = (
    ("domestico", 0.88), ("comercial", 0.08), ("industrial", 0.02), ("publico", 0.01), ("social", 0.01),
)
MEDIAN_M3: dict[str, float] = {"domestico": 14.0, "comercial": 28.0, "industrial": 220.0, "publico": 65.0,
                               "social": 9.0}
SPREAD: dict[str, float] = {"domestico": 0.45, "comercial": 0.7, "industrial": 0.8, "publico": 0.6, "social": 0.35}

# Seasonal factor by calendar month (Jan..Dec). Querétaro's hot dry season (April–June) raises household and
# commercial use; the rainy season (July–September) and the cool months lower it. Industry is nearly flat.
SEASON: dict[str, tuple[float, ...]] = {
    "domestico": (0.92, 0.95, 1.04, 1.13, 1.17, 1.09, 0.98, 0.96, 0.95, 0.97, 0.93, 0.91),
    "social": (0.93, 0.95, 1.03, 1.11, 1.14, 1.07, 0.98, 0.97, 0.96, 0.97, 0.95, 0.94),
    "comercial": (0.95, 0.97, 1.02, 1.08, 1.10, 1.06, 0.99, 0.98, 0.97, 0.98, 0.96, 0.94),
    "publico": (0.90, 0.95, 1.05, 1.12, 1.15, 1.05, 0.97, 0.96, 0.98, 1.00, 0.95, 0.92),
    "industrial": (0.98, 0.99, 1.00, 1.02, 1.02, 1.01, 1.00, 1.00, 1.00, 1.00, 0.99, 0.99),
}
# Rough average bill by class (MXN) used to size opening debts of accounts in arrears.
AVERAGE_BILL: dict[str, float] = {"domestico": 190.0, "comercial": 650.0, "industrial": 7_500.0, "publico": 1_800.0,
                                  "social": 95.0}

# Collector account used for the CLABEs of referenced SPEI payments: STP (646), plaza 180.
CLABE_BANK = "646"
CLABE_PLAZA = "180"
CLABE_PREFIX = "7"  # first of the 11 account digits, identifies the utility's sub-account range
PAYMENT_REFERENCE_PREFIX = DEFAULT_REFERENCE_PREFIX  # "10" + account number + Luhn digit

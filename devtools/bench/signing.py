"""Micro-benchmark of CFDI signing, for `manage.py bench`: the RSA-only floor and the per-invoice fast path.

`benchmark_signing(n)` generates a throwaway CSD in memory (never written), then times on one core:
* `rsa_only_ms`: RSA-2048 PKCS#1 v1.5 signatures of n precomputed SHA-256 digests (the irreducible floor);
* `fast_path_ms`: per invoice, compute amounts + native cadena + RSA sign + XML assembly (3-line water bill);
* `satcfdi_ms` (on min(n, 200) invoices): satcfdi build + XSLT cadena + sign + serialise, for comparison.
It also checks that the fast-path cadena equals satcfdi's on the benchmark sample, so a broken fast path fails
loudly instead of looking fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from shared.adapters.cfdi_xml.satcfdi_build import to_satcfdi
from shared.adapters.csd import CfdiSigner, generate_test_csd, load_signer
from shared.domain.cfdi.amounts import compute_cfdi
from shared.domain.cfdi.models import CfdiRequest, ConceptInput, Issuer, Receiver

_ISSUER = Issuer(rfc="EKU9003173C9", name="ESCUELA KEMPER URGATE", regimen_fiscal="603", postal_code="76000")
_RECEIVER = Receiver(
    rfc="CACX7605101P8", name="XOCHILT CASAS CHAVEZ", regimen_fiscal="612", postal_code="76000", uso_cfdi="G03"
)


def sample_request(i: int) -> CfdiRequest:
    """A typical domestic bill: water at 0%, sewer and sanitation at 16%."""
    m3 = Decimal(5 + i % 40)
    return CfdiRequest(
        issuer=_ISSUER,
        receiver=_RECEIVER,
        fecha=dt.datetime(2026, 1, 15, 12, 0, 0) + dt.timedelta(seconds=i),  # noqa: DTZ001 - CFDI local time
        metodo_pago="PPD",
        forma_pago="99",
        serie="AGUA",
        folio=str(1_000_000 + i),
        concepts=(
            ConceptInput(
                clave_prod_serv="83101501",
                clave_unidad="MTQ",
                description="Agua potable uso doméstico",
                quantity=m3,
                unit_value=Decimal("13.6317"),
                iva_rate=Decimal("0"),
                no_identificacion=f"CTA-{i:06d}",
            ),
            ConceptInput(
                clave_prod_serv="83101500",
                clave_unidad="E48",
                description="Alcantarillado",
                quantity=Decimal("1"),
                unit_value=Decimal("36.81"),
                iva_rate=Decimal("0.16"),
            ),
            ConceptInput(
                clave_prod_serv="76121701",
                clave_unidad="E48",
                description="Saneamiento",
                quantity=Decimal("1"),
                unit_value=Decimal("24.54"),
                iva_rate=Decimal("0.16"),
            ),
        ),
    )


class BenchmarkMismatch(AssertionError):
    """Raised when the fast path's cadena differs from satcfdi's during the benchmark."""


def benchmark_signing(n: int = 2000) -> dict[str, Any]:
    password = secrets.token_urlsafe(12)
    csd = generate_test_csd(
        rfc=_ISSUER.rfc, name=_ISSUER.name, password=password, valid_from=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    )
    signer = load_signer(certificate=csd.certificate_der, key=csd.key_der, password=password)
    fast = CfdiSigner(signer)
    key = signer.key
    requests = [sample_request(i) for i in range(n)]

    digests = [hashlib.sha256(f"cadena {i}".encode()).digest() for i in range(n)]
    prehashed = utils.Prehashed(hashes.SHA256())
    started = time.perf_counter()
    for digest in digests:
        key.sign(digest, padding.PKCS1v15(), prehashed)
    rsa_seconds = time.perf_counter() - started

    started = time.perf_counter()
    signed = [fast.sign_native(compute_cfdi(request=r)) for r in requests]
    fast_seconds = time.perf_counter() - started

    m = min(n, 200)
    started = time.perf_counter()
    for i, request in enumerate(requests[:m]):
        comprobante = to_satcfdi(cfdi=compute_cfdi(request=request))
        comprobante.sign(signer)
        comprobante.xml_bytes()
        if comprobante.cadena_original() != signed[i].cadena:
            raise BenchmarkMismatch(f"native cadena differs from satcfdi's on sample invoice {i}")
    satcfdi_seconds = time.perf_counter() - started

    fast_ms = fast_seconds * 1000 / n
    rsa_ms = rsa_seconds * 1000 / n
    return {
        "n": n,
        "rsa_only_ms": round(rsa_ms, 3),
        "fast_path_ms": round(fast_ms, 3),
        "fast_path_overhead_ms": round(fast_ms - rsa_ms, 3),
        "fast_path_per_second": round(n / fast_seconds, 1),
        "satcfdi_ms": round(satcfdi_seconds * 1000 / m, 3),
        "satcfdi_sample": m,
        "rsa_share_of_fast_path": round(rsa_ms / fast_ms, 3),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(benchmark_signing(int(sys.argv[1]) if len(sys.argv) > 1 else 2000), indent=2))

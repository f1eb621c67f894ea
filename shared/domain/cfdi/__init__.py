"""CFDI 4.0 rules: what billing hands over, the amounts and pre-PAC validation (pure: no XML library).

Modules:
  models        input dataclasses (Issuer, Receiver, ConceptInput, CfdiRequest) and the ComputedCfdi
  catalogs      SAT catalog codes (water ClaveProdServ, régimen/uso compatibility, formas de pago)
  rfc           RFC format and SAT check digit
  requests      builders: per-bill invoice (at_billing PPD/99, on_payment PUE), factura global, nota de crédito
  amounts       line importes, IVA, Impuestos summary and totals (ROUND_HALF_UP per line)
  validation    rejection reasons before the PAC (`validate_request`, `prepare_cfdi`)
  text          XPath normalize-space, as the cadena and validation apply it
  stamped       a stamped CFDI as the signed bytes plus the PAC's one insertion (how it is stored)
The XML wire formats (native fast path, satcfdi reference path, reading a stamp) live in `shared.adapters.cfdi_xml`.
Signing (RSA with the CSD) lives in `shared.adapters.csd`; stamping in `shared.adapters.pac`.
"""

"""CFDI 4.0 rules: what billing hands over, the amounts, pre-PAC validation, and the XML/cadena fast path.

Modules:
  models        input dataclasses (Issuer, Receiver, ConceptInput, CfdiRequest) and the ComputedCfdi
  catalogs      SAT catalog codes (water ClaveProdServ, régimen/uso compatibility, formas de pago)
  rfc           RFC format and SAT check digit
  requests      builders: per-bill invoice (at_billing PPD/99, on_payment PUE), factura global, nota de crédito
  amounts       line importes, IVA, Impuestos summary and totals (ROUND_HALF_UP per line)
  validation    rejection reasons before the PAC (`validate_request`, `prepare_cfdi`)
  native        fast path: XML and cadena original assembled directly (golden-tested against the SAT XSLT)
  satcfdi_build reference path with satcfdi (build/XSLT/XSD) and the Pagos 2.0 complement
Signing (RSA with the CSD) lives in `shared.adapters.csd`; stamping in `shared.adapters.pac`.
"""

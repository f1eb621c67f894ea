"""CFDI 4.0 XML wire formats (the domain holds the rules, this package the bytes).

Modules:
  native         fast path: XML and cadena original assembled directly (golden-tested against the SAT XSLT)
  satcfdi_build  reference path with satcfdi (build/XSLT/XSD) and the Pagos 2.0 complement
  reading        what is read back from a CFDI: the stamp's fiscal data (printed bill), the receiver's RFC
"""

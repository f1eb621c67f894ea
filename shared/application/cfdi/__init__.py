"""CFDI 4.0 lifecycle use cases: stamp a billing run (durable or inline), publish XML/PDF to Blob Storage,
corrections (cancellation, substitution, credit notes), Pagos 2.0 complements and the on_payment model.

Modules:
  tenant_config  per-tenant CFDI settings (invoicing model, series, ClaveProdServ per charge code)
  mapping        invoice rows → CfdiRequest (receiver rules, público en general, concepts, credits)
  services       the signer (tenant CSD) and the PAC client of this process
  stamping       start_stamping, sector/chunk planning, stamp_chunk, finish_run, stamp_run_inline
  publishing     stamped XML and the PDF bill to Blob Storage; downloads
  corrections    cancel (motivo 01-04) and status polling, substitution, credit notes (Egreso)
  payments       Pagos 2.0 from payment.applied; on_payment PUE invoices and the factura global
  bill           assembles the printed bill (BillData) of an invoice
  bench          bench_cfdi: stamping throughput and the RSA-only floor for the same N
"""

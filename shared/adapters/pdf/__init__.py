"""PDF rendering: the printed bill (representación impresa del CFDI)."""

from shared.adapters.pdf.bill import BillData, ChargeLine, FiscalData, Reading, render_bill_pdf

__all__ = ["BillData", "ChargeLine", "FiscalData", "Reading", "render_bill_pdf"]

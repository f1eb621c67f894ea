"""Personal data (LGPDPPSO): masking and the audit of reads (`pii`), ARCO requests (`arco`), blocking and timed
erasure (`erasure.erase_due`)."""

from shared.application.privacy import arco, erasure, pii
from shared.application.privacy.erasure import erase_due

__all__ = ["arco", "erase_due", "erasure", "pii"]

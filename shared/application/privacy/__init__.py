"""Personal data (LGPDPPSO): masking and the audit of reads, ARCO requests, blocking and timed erasure."""

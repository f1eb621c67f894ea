"""Case workflows of the customer service: work orders (status and SLA), fraud cases, ARCO requests (legal clock)."""

"""Alert rules and dashboards expressed once (Python), rendered to monitoring/ for both IaC trees."""

"""What people see: charts (and the report, dashboard and translations built on them).

This layer may import the studies and the model; neither imports it.
"""

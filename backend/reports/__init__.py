"""The manager's figures (issue 13): KPIs defined once, kept in day × technician rollups, served read-only.

`facts` turns one recorded visit, case or return-visit call into counters; `rollups` keeps the
visits' counters summed per day × technician × work-order type as visits end; `service` adds up
the days of a range for the overview, series, league table, rules and drill-down; `exports` and
`report` turn those tables into CSV, XLSX and the monthly PDF. Definitions: docs/kpis.md.
"""

"""After the visit: return visits (回访) that close completed orders, and complaints (投诉) due in 3 hours."""

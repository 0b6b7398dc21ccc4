"""Tasks: the graph, their lifecycle and claims, leases, parallel picks, verify runs."""

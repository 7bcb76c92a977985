"""Hub-managed services: datasets (data gateway), scheduler, dashboards."""

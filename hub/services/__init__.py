"""Hub-managed services; today the datasets service (data gateway), in datasets/."""

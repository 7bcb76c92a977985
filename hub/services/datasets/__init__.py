"""The datasets service: the only reader of the snapshot store, applying the policy per caller."""

"""The price and limits catalog: reviewed YAML data with provenance, validated on load."""

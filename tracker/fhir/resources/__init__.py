"""One module per FHIR resource type (or per source of one type): small, readable mappings."""

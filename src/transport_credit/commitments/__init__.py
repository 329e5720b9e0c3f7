"""Credit commitments beyond the records: the published list of matters handled by commitment (告知承诺制, 容缺受理)."""

# Vendored from https://github.com/salesforce/BLIP (models/), BSD-3-Clause.

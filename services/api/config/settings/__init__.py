"""Settings split by concern; `development`, `production` and `test` pick and adjust them."""

"""The benchmark of the mock against a bare Starlette ceiling (`make bench`)."""

"""Mock server of the Stardust GET /statistics/record API, driven by openapi.yaml."""

import warnings

# Connexion imports Starlette's test client at start-up, which warns about httpx on every
# launch; it is not used at run time and the warning only hides the mock's own start-up line.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

"""conftest.py — registers the e2e fixtures and markers, which live in kiln_e2e.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kiln_e2e import compiled, kiln, models, pytest_configure  # noqa: E402,F401

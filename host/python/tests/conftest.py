"""conftest.py: makes `import tunebench` find this checkout's package (host/python) when pytest runs from anywhere;
the shared library is then found as tunebench/_lib.py says (CTest sets TUNEBENCH_LIBRARY to the build's .so)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

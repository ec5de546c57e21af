"""Installs the pure-Python calib8 package. libcalib8.so is not built here: CMake builds it
(cmake -S . -B build && cmake --build build). At install time the checkout's location is
recorded (calib8/_install_paths.py) so that the installed package finds <checkout>/build/
libcalib8.so; CALIB8_LIBRARY and the system loader are the other ways (calib8/_lib.py)."""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


class BuildPy(build_py):
    def run(self):
        super().run()
        out = os.path.join(self.build_lib, "calib8", "_install_paths.py")
        with open(out, "w") as f:
            f.write("# written by setup.py: the checkout this package was installed from\n")
            f.write("SOURCE_TREE = %r\n" % os.path.dirname(HERE))


setup(cmdclass={"build_py": BuildPy})

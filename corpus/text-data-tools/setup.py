from setuptools import find_packages, setup

setup(
    name="text-data-tools",
    version="0.2.0",
    packages=find_packages(exclude=["tests"]),
    install_requires=["datasets>=2.0", "pyyaml", "regex"],
)

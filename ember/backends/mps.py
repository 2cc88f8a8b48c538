"""Apple's Metal backend: ember has none."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False

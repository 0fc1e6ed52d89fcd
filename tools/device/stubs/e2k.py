"""Device-only stand-in: training never reads English words aloud."""


class C2K:
    """Fails if anything tries to use it: only the import has to succeed."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("e2k is stubbed on the device machine")

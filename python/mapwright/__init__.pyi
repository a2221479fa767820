from ._mapwright import (
    Mapping as Mapping,
    MappingError as MappingError,
    MapwrightError as MapwrightError,
    Outcome as Outcome,
    ParamsError as ParamsError,
    PayloadError as PayloadError,
)

__all__ = ["Mapping", "Outcome", "MapwrightError", "MappingError", "ParamsError", "PayloadError"]

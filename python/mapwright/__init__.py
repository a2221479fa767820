"""mapwright for Python: load a mapping, transform records.

A :class:`Mapping` is loaded once (``Mapping.from_path(path, params={...})``)
and is safe to share between threads. ``transform(record)`` gives an
:class:`Outcome` whose ``status`` is ``"accepted"`` (with ``route`` and
``payload``), ``"rejected"`` (with ``errors``) or ``"skipped"`` (with
``reason``). Each outcome is what ``mapwright convert --output-format ndjson``
gives for the same record: the payload is the CLI's output line, parsed,
and the errors are its rejects line's, with every secret hidden.
``transform_many`` and ``transform_ndjson`` run the engine with the GIL
released.

Problems in mapping, schema or lookup files raise :class:`MappingError`
(``.diagnostics``: file, line, column, code, message, help); params that do
not fit, and a params file that cannot be read or is not YAML, raise
:class:`ParamsError` (``.problems``, and ``.diagnostics`` as well). ``render`` checks a
payload against its route's target schema and raises :class:`PayloadError`
(``.errors``: rule, path, message) when it does not fit. All are
:class:`MapwrightError`\\ s.
"""

from ._mapwright import (
    Mapping,
    MappingError,
    MapwrightError,
    Outcome,
    ParamsError,
    PayloadError,
)

__all__ = ["Mapping", "Outcome", "MapwrightError", "MappingError", "ParamsError", "PayloadError"]

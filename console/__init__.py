"""Berichtenbox console: lokaal Leveranciersportaal en verzendengine voor de MijnOverheid Berichtenbox."""

__version__ = "0.1.0"

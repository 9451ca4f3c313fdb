"""Output formats, looked up by name. Each module is imported only when its format is used."""

FORMATS = ("table", "json", "markdown", "csv")

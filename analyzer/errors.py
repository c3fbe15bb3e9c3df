"""Exceptions with messages meant for the person running the batch."""


class AnalyzerError(Exception):
    """Base class: a problem the user can fix, reported as one clear line."""


class ConfigError(AnalyzerError):
    """A configuration file or option is invalid."""


class ModelNotFoundError(AnalyzerError):
    """A model could not be found or loaded; the message says how to get one."""


class InputError(AnalyzerError):
    """One input file or call cannot be processed. Recorded as a failure; the batch goes on."""

    def __init__(self, file: str, reason: str, stage: str, call_id: str | None = None):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
        self.stage = stage
        self.call_id = call_id

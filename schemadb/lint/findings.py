"""A finding of the lint: where, which rule, how severe, what it says and the safe way; its text, JSON and GitHub
annotation forms."""

from __future__ import annotations

from dataclasses import dataclass

from .rules import RULES, template_command


@dataclass
class Finding:
    file: str
    line: int
    column: int
    rule: str
    severity: str
    message: str
    fix: str
    version: str | None = None
    allowed: str | None = None  # the reason of the allow directive that accepts it

    def to_json(self) -> dict:
        out = {"file": self.file, "line": self.line, "column": self.column, "rule": self.rule,
               "severity": self.severity, "message": self.message, "fix": self.fix}
        if self.allowed is not None:
            out["allowed"] = self.allowed
        return out

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and self.allowed is None

    def text(self) -> str:
        """`file:line:col: rule: message`, the fix on the next line (indented)."""
        allowed = f" (allowed: {self.allowed})" if self.allowed is not None else ""
        level = "" if self.severity == "error" else f" ({self.severity})"
        return f"{self.file}:{self.line}:{self.column}: {self.rule}: {self.message}{level}{allowed}\n    fix: {self.fix}"

    def github(self) -> str:
        """A GitHub Actions annotation (allowed findings as notices)."""
        level = "notice" if self.allowed is not None else self.severity
        esc = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return (f"::{level} file={self.file},line={self.line},col={self.column},title={self.rule}::{esc}"
                f"%0Afix: {self.fix.replace('%', '%25')}")


class Params(dict):
    """A rule's message parameters: one the finding does not know reads as …."""

    def __missing__(self, key):
        return "…"


def finding_fix(rule_id: str, params: dict) -> str:
    command = template_command(rule_id, params)
    return RULES[rule_id].fix.format_map(Params(params)) + (f"; `{command}` writes it" if command else "")

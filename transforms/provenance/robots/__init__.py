"""robots.txt (RFC 9309): a parser and a matcher kept apart, plus the status-code rules.

robots = parse_robots(body)                 # parse once
robots.verdict("https://example.org/a", "corpusgate-bot")  # -> RobotsVerdict
robots_for_status(503, None).verdict(...)   # unreachable: disallowed
"""

from corpusgate.transforms.provenance.robots.matcher import (
    AgentToken,
    RobotsTxt,
    RobotsVerdict,
    is_valid_user_agent,
    normalize_url,
    parse_robots,
    path_from_url,
    robots_for_status,
    user_agent_token,
)
from corpusgate.transforms.provenance.robots.parser import MAX_ROBOTS_BYTES, escape_pattern

__all__ = [
    "MAX_ROBOTS_BYTES",
    "AgentToken",
    "RobotsTxt",
    "RobotsVerdict",
    "escape_pattern",
    "is_valid_user_agent",
    "normalize_url",
    "parse_robots",
    "path_from_url",
    "robots_for_status",
    "user_agent_token",
]

"""Configuration of the simulator (built by the CLI or directly by tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SimulatorConfig:
    """Knobs of one simulator instance.

    `port=0` binds an ephemeral port (tests). `public_url` is the base written into vpn_url
    and snapshot URLs; it defaults to http://host:port once bound. `loopback_only` restricts
    the WebRTC answerer's ICE host candidates to 127.0.0.1 (traffic to other addresses is
    forbidden on our machines). `ice_servers` are STUN/TURN URLs for the answerer; none by
    default so nothing ever leaves the host.
    """

    host: str = "127.0.0.1"
    port: int = 8081
    extra_homes: int = 0
    seed: int = 0
    events_every: float | None = None
    client_id: str = "sim-client-id"
    client_secret: str = "sim-client-secret"
    token_lifetime: int = 10800
    ice_servers: list[str] = field(default_factory=list)
    loopback_only: bool = True
    public_url: str | None = None
    webhook_timeout: float = 5.0
    webhook_max_failures: int = 5
    webhook_failure_window: float = 3600.0
    webrtc_session_timeout: float = 60.0
    rate_limit_10s: int = 50
    rate_limit_hour: int = 500

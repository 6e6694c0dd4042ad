"""HTTP surface of the simulator: OAuth, REST API, camera URLs, WebRTC, webhooks, admin."""

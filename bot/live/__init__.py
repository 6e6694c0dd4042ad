"""Live frames from the cameras (WebRTC through aiortc, or the camera's snapshot URL)."""

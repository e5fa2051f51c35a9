"""Device simulators: a ZK binary-protocol terminal (port 4370) and push-protocol devices (HTTP)."""
